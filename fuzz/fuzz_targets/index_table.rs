//! The `.index` reader on arbitrary bytes: footer, blocks, Snappy, entries.
//! Block checksums make most mutations fail early; `bundle_entries` goes
//! past them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tf_freeze::bundle::{self, BundleIndex};

fuzz_target!(|data: &[u8]| {
    let _ = bundle::is_v1_table(data);
    let _ = bundle::first_entry("model.ckpt.index", data);
    let Ok(index) = BundleIndex::parse("model.ckpt.index", data) else {
        return;
    };
    for name in index.tensor_names() {
        assert!(
            index.entry(&name).is_some(),
            "listed tensor '{name}' has no entry"
        );
    }
    for (key, entry) in &index.entries {
        let _ = bundle::display_key(key);
        let _ = bundle::decode_slice_key(key);
        let shape = entry.shape.clone().unwrap_or_default();
        let _ = (bundle::num_elements(&shape), bundle::shape_text(&shape));
        let _ = (
            bundle::element_size(entry.dtype),
            bundle::dtype_name(entry.dtype),
        );
    }
});
