// Rewrites a V2 checkpoint as a TensorFlow V1 one: a single LevelDB-style table
// whose key "" holds a SavedTensorSlices with the `meta` of every tensor, and
// whose other keys (EncodeTensorNameSlice of each full tensor) hold its values
// in the typed fields of a TensorProto, as TF's TensorSliceWriter does
// (tensorflow/core/util/tensor_slice_writer.h, saved_tensor_slice.proto).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DTYPES = { float32: { id: 1, field: 5 }, int64: { id: 9, field: 10 } };
const TABLE_MAGIC = [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb];

/**
 * The V1 table holding the tensors of `<dir>/model.ckpt` (float32 and int64
 * only); `variables` are the checkpoint's entries as the core's inspect report
 * lists them (`{name, dtype, shape, bytes}`, in key order).
 */
export async function v1Checkpoint(pkg, dir, variables) {
  const { initSync, crc32cUpdate } = await import(join(pkg, 'tf_freeze.js'));
  initSync({ module: readFileSync(join(pkg, 'tf_freeze_bg.wasm')) });
  const data = readFileSync(join(dir, 'model.ckpt.data-00000-of-00001'));
  let offset = 0; // a single-shard V2 checkpoint stores its tensors in key order
  const entries = variables.map((t) => {
    const bytes = data.subarray(offset, (offset += t.bytes));
    const dims = t.shape;
    const slice = dims.map(() => len(1, [])); // full extents: no start, no length
    const value = t.dtype === 'float32' ? [...bytes] : int64Varints(bytes);
    const saved = len(2, [...len(1, utf8(t.name)), ...len(2, slice.flat()), ...len(3, len(DTYPES[t.dtype].field, value))]);
    const meta = [...len(1, utf8(t.name)), ...len(2, dims.flatMap((d) => len(2, varintField(1, d)))),
      ...varintField(3, DTYPES[t.dtype].id), ...len(4, slice.flat())];
    return { key: sliceKey(t.name, dims.length), value: saved, meta };
  });
  const header = len(1, [...entries.flatMap((e) => len(1, e.meta)), ...len(2, varintField(1, 1))]);
  return table([[[], header], ...entries.map((e) => [e.key, e.value])], (b) => crc32cUpdate(0, Uint8Array.from(b)));
}

const utf8 = (text) => [...Buffer.from(text)];
function varint(n) {
  const out = [];
  for (let v = BigInt(n); ; v >>= 7n) {
    if (v < 0x80n) return [...out, Number(v)];
    out.push(Number(v & 0x7fn) | 0x80);
  }
}
export const varintField = (field, n) => [field << 3, ...varint(n)];
export const len = (field, bytes) => [(field << 3) | 2, ...varint(bytes.length), ...bytes];
const int64Varints = (bytes) => {
  const out = [];
  for (let i = 0; i < bytes.length; i += 8) out.push(...varint(BigInt.asUintN(64, bytes.readBigInt64LE(i))));
  return out;
};

/** EncodeTensorNameSlice for a full slice: OrderedCode 0, name, rank, then (0, -1) per dimension. */
function sliceKey(name, rank) {
  const escaped = utf8(name).flatMap((b) => (b === 0 ? [0, 0xff] : b === 0xff ? [0xff, 0] : [b]));
  return [0, ...escaped, 0, 1, ...(rank ? [1, rank] : [0]), ...new Array(rank).fill([0x80, 0x7f]).flat()];
}

/** A table of sorted `[key, value]` entries in one data block, with TF's masked block CRCs. */
export function table(entries, crc) {
  const u32 = (n) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  const mask = (c) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
  const block = (rows) => {
    const body = [];
    const restarts = [];
    for (const [key, value] of rows) {
      restarts.push(body.length);
      body.push(0, ...varint(key.length), ...varint(value.length), ...key, ...value);
    }
    return [...body, ...(restarts.length ? restarts : [0]).flatMap(u32), ...u32(Math.max(restarts.length, 1))];
  };
  const file = [];
  const emit = (contents) => {
    const handle = [...varint(file.length), ...varint(contents.length)];
    file.push(...contents, 0, ...u32(mask(crc([...contents, 0]))));
    return handle;
  };
  const dataHandle = emit(block(entries));
  const metaHandle = emit(block([]));
  const indexHandle = emit(block([[entries.at(-1)[0], dataHandle]]));
  const footer = [...metaHandle, ...indexHandle];
  return Buffer.from([...file, ...footer, ...new Array(40 - footer.length).fill(0), ...TABLE_MAGIC]);
}
