// Checking the crc32c of every frozen tensor against the checkpoint's, over
// several workers: the shards are cut into pieces of at most PIECE bytes,
// each piece read by one stream, and a tensor's crc is combined from those
// of its pieces.

// A piece: small enough to share out, large enough that opening its stream
// (milliseconds) stays cheap next to reading it.
const PIECE = 8 * 1024 * 1024;
// Bytes between two checked segments that are read and skipped rather than
// starting another piece (a new stream costs about as much as reading this).
const MAX_GAP = 4 * 1024 * 1024;
// Calls in flight per worker, so none waits for its next piece.
const DEPTH = 2;

/**
 * The segments (`{shard, offset, len}`) in file order as pieces of one
 * shard: `{shard, start, end, parts: [{segment, offset, len}]}`, parts in
 * order and not overlapping (two nodes may hold the same tensor: an overlap
 * starts a new piece).
 */
export function pieces(segments) {
  const order = segments.map((s, i) => ({ s, i })).sort((a, b) => a.s.shard - b.s.shard || a.s.offset - b.s.offset);
  const out = [];
  for (const { s, i } of order) {
    for (let offset = s.offset; offset < s.offset + s.len || s.len === 0; ) {
      const last = out.at(-1);
      const joins = last && last.shard === s.shard && offset >= last.end && offset - last.end <= MAX_GAP && offset - last.start < PIECE;
      if (!joins) out.push({ shard: s.shard, start: offset, end: offset, parts: [] });
      const piece = out.at(-1);
      const len = Math.max(Math.min(s.offset + s.len - offset, piece.start + PIECE - offset), 0);
      piece.parts.push({ segment: i, offset, len });
      piece.end = offset + len;
      offset += len;
      if (s.len === 0) break;
    }
  }
  return out;
}

/**
 * Checks every segment's crc32c: `workers` are calls into the pool (bridge.js
 * pool()), `shards` the data files, `progress({done, total})` in bytes.
 * Throws, naming the file and tensor, at the first mismatch.
 */
export async function verify(segments, shards, workers, progress) {
  const total = segments.reduce((sum, s) => sum + s.len, 0);
  let done = 0;
  progress({ done, total });
  const queue = pieces(segments);
  const crcs = segments.map(() => []);
  const work = async (worker) => {
    for (let piece = queue.shift(); piece; piece = queue.shift()) {
      const file = shards[piece.shard];
      if (!file) throw new Error(`data shard ${piece.shard} is missing`);
      const parts = piece.parts.map(({ offset, len }) => ({ offset, len }));
      const answer = await worker('checksum', { file, start: piece.start, end: piece.end, parts });
      piece.parts.forEach((part, k) => crcs[part.segment].push([part.offset, answer[k], part.len]));
      done += parts.reduce((sum, p) => sum + p.len, 0);
      progress({ done, total });
    }
  };
  await Promise.all(workers.flatMap((worker) => Array.from({ length: DEPTH }, () => work(worker))));
  const lists = crcs.map((list) => list.sort((a, b) => a[0] - b[0]).map(([, crc, len]) => [crc, len]));
  const whole = await workers[0]('combine', { lists });
  segments.forEach((s, i) => {
    if (whole[i] >>> 0 !== s.crc32c >>> 0) throw mismatch(shards, s, whole[i]);
  });
  progress({ done: total, total });
}

function mismatch(shards, s, crc) {
  const hex = (n) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
  return new Error(
    `${shards[s.shard].name}: checksum mismatch for ${s.tensor} (stored crc32c ${hex(s.crc32c)}, ` +
      `computed ${hex(crc)}); the file is damaged or does not belong to this checkpoint`,
  );
}
