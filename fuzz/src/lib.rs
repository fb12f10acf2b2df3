//! Helpers shared by the fuzz targets: the committed fixtures (embedded, so a
//! crash reproduces from its input alone), a table writer that keeps block
//! checksums valid after a mutation, and one in-memory freeze.

use std::io::Cursor;
use tf_freeze::proto::GraphDef;
use tf_freeze::wire::Message;

use tf_freeze::{CheckpointFiles, Graph, InputFile, Options};

/// One TF-made fixture: its graph, `.index` and `.data` shards.
pub struct Fixture {
    /// The directory name under tests/fixtures.
    pub name: &'static str,
    /// The graph file's name and bytes.
    pub graph: (&'static str, &'static [u8]),
    /// The `.index`.
    pub index: &'static [u8],
    /// The `.data` shards in shard order.
    pub data: &'static [&'static [u8]],
    /// `--output_node_names`.
    pub outputs: &'static str,
}

macro_rules! fixture_file {
    ($dir:literal, $file:literal) => {
        include_bytes!(concat!("../../tests/fixtures/", $dir, "/", $file))
    };
}

/// The fixtures the freeze target starts from: binary and text graphs, meta
/// graphs, two shards, every dtype, strings, resource and partitioned variables.
pub const FIXTURES: [Fixture; 6] = [
    Fixture {
        name: "mlp_binary",
        graph: ("graph.pb", fixture_file!("mlp_binary", "graph.pb")),
        index: fixture_file!("mlp_binary", "model.ckpt.index"),
        data: &[fixture_file!(
            "mlp_binary",
            "model.ckpt.data-00000-of-00001"
        )],
        outputs: "probs",
    },
    Fixture {
        name: "two_shards",
        graph: (
            "model.ckpt.meta",
            fixture_file!("two_shards", "model.ckpt.meta"),
        ),
        index: fixture_file!("two_shards", "model.ckpt.index"),
        data: &[
            fixture_file!("two_shards", "model.ckpt.data-00000-of-00002"),
            fixture_file!("two_shards", "model.ckpt.data-00001-of-00002"),
        ],
        outputs: "out",
    },
    Fixture {
        name: "dtypes_meta",
        graph: (
            "model.ckpt.meta",
            fixture_file!("dtypes_meta", "model.ckpt.meta"),
        ),
        index: fixture_file!("dtypes_meta", "model.ckpt.index"),
        data: &[fixture_file!(
            "dtypes_meta",
            "model.ckpt.data-00000-of-00001"
        )],
        outputs: "out_float16,out_s_float16,out_bfloat16,out_s_bfloat16,out_float32,\
                  out_s_float32,out_float64,out_s_float64,out_complex64,out_s_complex64,\
                  out_complex128,out_s_complex128,out_bool,out_s_bool,out_int8,out_s_int8,\
                  out_int16,out_s_int16,out_int32,out_s_int32,out_int64,out_s_int64,\
                  out_uint8,out_s_uint8,out_uint16,out_s_uint16,out_uint32,out_s_uint32,\
                  out_uint64,out_s_uint64,out_string",
    },
    Fixture {
        name: "seed_text",
        graph: ("graph.pbtxt", fixture_file!("seed_text", "graph.pbtxt")),
        index: fixture_file!("seed_text", "model.ckpt.index"),
        data: &[fixture_file!("seed_text", "model.ckpt.data-00000-of-00001")],
        outputs: "out",
    },
    Fixture {
        name: "string_scalar",
        graph: (
            "model.ckpt.meta",
            fixture_file!("string_scalar", "model.ckpt.meta"),
        ),
        index: fixture_file!("string_scalar", "model.ckpt.index"),
        data: &[fixture_file!(
            "string_scalar",
            "model.ckpt.data-00000-of-00001"
        )],
        outputs: "out_s,out_v",
    },
    Fixture {
        name: "partitioned_meta",
        graph: (
            "model.ckpt.meta",
            fixture_file!("partitioned_meta", "model.ckpt.meta"),
        ),
        index: fixture_file!("partitioned_meta", "model.ckpt.index"),
        data: &[fixture_file!(
            "partitioned_meta",
            "model.ckpt.data-00000-of-00001"
        )],
        outputs: "out",
    },
];

/// The files of one freeze, owned so a target can replace any of them.
#[derive(Clone)]
pub struct Inputs {
    /// The graph bytes.
    pub graph: Vec<u8>,
    /// The `.index` bytes.
    pub index: Vec<u8>,
    /// The shards.
    pub data: Vec<Vec<u8>>,
}

impl Fixture {
    /// The fixture's files as given.
    pub fn inputs(&self) -> Inputs {
        Inputs {
            graph: self.graph.1.to_vec(),
            index: self.index.to_vec(),
            data: self.data.iter().map(|d| d.to_vec()).collect(),
        }
    }

    /// Freezes `inputs` through the library's face: parse, freeze, stream the
    /// plan with checksums checked. Panics only if the output is not a
    /// GraphDef, which would be a bug of the core.
    pub fn freeze(&self, inputs: &Inputs) -> Result<Vec<u8>, tf_freeze::Error> {
        let shards: Vec<&[u8]> = inputs.data.iter().map(Vec::as_slice).collect();
        let graph = Graph::parse(InputFile::new(self.graph.0, &inputs.graph))?;
        let index = InputFile::new("model.ckpt.index", &inputs.index);
        let checkpoint = CheckpointFiles::v2("model.ckpt", index, &shards);
        let plan = tf_freeze::freeze(
            &graph,
            &checkpoint,
            &shards,
            &Options::outputs([self.outputs]),
        )?;
        let mut bytes = Vec::new();
        let mut readers: Vec<Cursor<&[u8]>> = shards.iter().map(|s| Cursor::new(*s)).collect();
        let written = plan.write_to(&mut bytes, &mut readers)?;
        assert_eq!(
            written, plan.summary.output_bytes,
            "{}: the summary's size is not the output's",
            self.name
        );
        assert!(
            GraphDef::decode(bytes.as_slice()).is_ok(),
            "{}: the frozen output is not a GraphDef",
            self.name
        );
        Ok(bytes)
    }
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn masked_crc(bytes: &[u8], kind: u8) -> u32 {
    let crc = crc32c::crc32c_append(crc32c::crc32c(bytes), &[kind]);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// One uncompressed block holding `rows`, keys written in full (one restart
/// point per entry), with its trailer.
fn block(rows: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut restarts = Vec::new();
    for (key, value) in rows {
        restarts.push(out.len() as u32);
        put_varint(&mut out, 0);
        put_varint(&mut out, key.len() as u64);
        put_varint(&mut out, value.len() as u64);
        out.extend_from_slice(key);
        out.extend_from_slice(value);
    }
    if restarts.is_empty() {
        restarts.push(0);
    }
    for restart in &restarts {
        out.extend_from_slice(&restart.to_le_bytes());
    }
    out.extend_from_slice(&(restarts.len() as u32).to_le_bytes());
    let crc = masked_crc(&out, 0);
    out.push(0);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A valid table (one data block, empty metaindex, index, footer) holding
/// `rows` in the order given; the checksums are right whatever the rows are.
pub fn build_table(rows: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = block(rows);
    let data_size = out.len() as u64 - 5;
    let metaindex_offset = out.len() as u64;
    out.extend(block(&[]));
    let metaindex_size = out.len() as u64 - metaindex_offset - 5;
    let separator = rows
        .iter()
        .map(|(k, _)| k.clone())
        .max()
        .unwrap_or_default();
    let mut handle = Vec::new();
    put_varint(&mut handle, 0);
    put_varint(&mut handle, data_size);
    let index_offset = out.len() as u64;
    out.extend(block(&[(separator, handle)]));
    let index_size = out.len() as u64 - index_offset - 5;
    let mut footer = Vec::new();
    for value in [metaindex_offset, metaindex_size, index_offset, index_size] {
        put_varint(&mut footer, value);
    }
    footer.resize(40, 0);
    footer.extend_from_slice(&0xDB47_7524_8B80_FB57u64.to_le_bytes());
    out.extend(footer);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_freezes_through_the_library() {
        for fixture in &FIXTURES {
            let frozen = fixture.freeze(&fixture.inputs());
            assert!(frozen.is_ok(), "{}: {:?}", fixture.name, frozen.err());
        }
    }
}
