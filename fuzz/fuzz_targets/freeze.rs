//! The whole freeze (prepare, reads, finish, assembly with checksums) on a
//! fixture with one file replaced. Input: a fixture number, a mode, an
//! argument, then the payload:
//!   0 the graph is the payload
//!   1 the `.index` is the payload
//!   2 data shard `arg` is the payload
//!   3 the value of `.index` entry `arg` is the payload, block checksums redone
//!   4 data shard `arg` is the payload, and the crc32c of every entry in it
//!     recomputed, so the bytes reach the typed decoders
//! Modes 1 and 2 change only checksummed or ignored bytes, so a freeze that
//! succeeds must give the fixture's own output.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tf_freeze::bundle::{crc, read_table};
use tf_freeze::proto::BundleEntryProto;
use tf_freeze::wire::Message;
use tf_freeze_fuzz::{build_table, Fixture, Inputs, FIXTURES};

fn original(i: usize, fixture: &Fixture) -> &'static Vec<u8> {
    static OUTPUTS: [OnceLock<Vec<u8>>; FIXTURES.len()] =
        [const { OnceLock::new() }; FIXTURES.len()];
    OUTPUTS[i].get_or_init(|| {
        fixture
            .freeze(&fixture.inputs())
            .unwrap_or_else(|e| panic!("{}: the fixture itself fails: {e}", fixture.name))
    })
}

fn rows(index: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    read_table("model.ckpt.index", index).unwrap_or_default()
}

/// Mode 4: the entries of `shard` get the crc32c of their bytes in `data`.
fn fix_checksums(index: &[u8], shard: usize, data: &[u8]) -> Vec<u8> {
    let mut rows = rows(index);
    for (_, value) in rows.iter_mut().filter(|(k, _)| !k.is_empty()) {
        let Ok(mut entry) = BundleEntryProto::decode(value.as_slice()) else {
            continue;
        };
        let range = usize::try_from(entry.offset)
            .ok()
            .zip(usize::try_from(entry.offset.saturating_add(entry.size)).ok())
            .and_then(|(start, end)| data.get(start..end));
        if let (true, Some(bytes)) = (entry.shard_id as usize == shard, range) {
            entry.crc32c = crc::mask(crc::value(bytes));
            *value = entry.encode_to_vec();
        }
    }
    build_table(&rows)
}

fuzz_target!(|data: &[u8]| {
    let [which, mode, arg, payload @ ..] = data else {
        return;
    };
    let i = usize::from(*which) % FIXTURES.len();
    let fixture = &FIXTURES[i];
    let mut inputs: Inputs = fixture.inputs();
    let shard = usize::from(*arg) % inputs.data.len();
    match mode % 5 {
        0 => inputs.graph = payload.to_vec(),
        1 => inputs.index = payload.to_vec(),
        2 => inputs.data[shard] = payload.to_vec(),
        3 => {
            let mut rows = rows(&inputs.index);
            let entry = usize::from(*arg) % rows.len().max(1);
            if let Some((_, value)) = rows.get_mut(entry) {
                *value = payload.to_vec();
            }
            inputs.index = build_table(&rows);
        }
        _ => {
            inputs.index = fix_checksums(&inputs.index, shard, payload);
            inputs.data[shard] = payload.to_vec();
        }
    }
    let result = fixture.freeze(&inputs);
    if matches!(mode % 5, 1 | 2) {
        if let Ok(output) = result {
            assert!(
                &output == original(i, fixture),
                "{}: a damaged file gave a different frozen graph",
                fixture.name
            );
        }
    }
});
