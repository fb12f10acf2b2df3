//! prost, with map fields written the way TensorFlow's Python protobuf (upb)
//! writes them under `SerializeToString(deterministic=True)`, so our bytes
//! equal TF's. Two differences from prost, both seen in TF 2.21's output:
//! - order: string keys sort bytewise, except that when one key is a prefix
//!   of another the longer comes first (`Tshape` before `T`); integer keys
//!   sort descending;
//! - every entry writes its key and value, even when they are defaults.
//!
//! The generated code in `proto` reaches prost only through this module
//! (`prost_path` in build.rs); everything but map encoding is prost's own.

pub use ::prost::*;

/// prost's encoding, with `btree_map` replaced.
pub mod encoding {
    pub use ::prost::encoding::*;

    /// Map fields (all maps are `BTreeMap`s, see build.rs).
    pub mod btree_map {
        use std::cmp::Ordering;
        use std::collections::BTreeMap;

        use ::prost::bytes::BufMut;
        pub use ::prost::encoding::btree_map::{merge, merge_with_default};
        use ::prost::encoding::{encode_key, encode_varint, encoded_len_varint, key_len, WireType};

        /// The order upb writes map keys in.
        pub trait UpbOrder {
            /// Compares two keys.
            fn upb_cmp(&self, other: &Self) -> Ordering;
        }

        impl UpbOrder for String {
            fn upb_cmp(&self, other: &Self) -> Ordering {
                let common = self.len().min(other.len());
                let (a, b) = (self.as_bytes(), other.as_bytes());
                match a.get(..common).cmp(&b.get(..common)) {
                    Ordering::Equal => other.len().cmp(&self.len()),
                    unequal => unequal,
                }
            }
        }

        macro_rules! descending {
            ($($t:ty),*) => {$(
                impl UpbOrder for $t {
                    fn upb_cmp(&self, other: &Self) -> Ordering {
                        other.cmp(self)
                    }
                }
            )*};
        }
        descending!(bool, i32, i64, u32, u64);

        pub(crate) fn sorted<K: UpbOrder, V>(values: &BTreeMap<K, V>) -> Vec<(&K, &V)> {
            let mut entries: Vec<(&K, &V)> = values.iter().collect();
            entries.sort_by(|a, b| a.0.upb_cmp(b.0));
            entries
        }

        /// Encodes a map field.
        pub fn encode<K, V, B, KE, KL, VE, VL>(
            key_encode: KE,
            key_encoded_len: KL,
            val_encode: VE,
            val_encoded_len: VL,
            tag: u32,
            values: &BTreeMap<K, V>,
            buf: &mut B,
        ) where
            K: UpbOrder,
            B: BufMut,
            KE: Fn(u32, &K, &mut B),
            KL: Fn(u32, &K) -> usize,
            VE: Fn(u32, &V, &mut B),
            VL: Fn(u32, &V) -> usize,
        {
            for (key, val) in sorted(values) {
                let len = key_encoded_len(1, key) + val_encoded_len(2, val);
                encode_key(tag, WireType::LengthDelimited, buf);
                encode_varint(len as u64, buf);
                key_encode(1, key, buf);
                val_encode(2, val, buf);
            }
        }

        /// Encodes a map field of enum values.
        #[allow(clippy::too_many_arguments)]
        pub fn encode_with_default<K, V, B, KE, KL, VE, VL>(
            key_encode: KE,
            key_encoded_len: KL,
            val_encode: VE,
            val_encoded_len: VL,
            _val_default: &V,
            tag: u32,
            values: &BTreeMap<K, V>,
            buf: &mut B,
        ) where
            K: UpbOrder,
            B: BufMut,
            KE: Fn(u32, &K, &mut B),
            KL: Fn(u32, &K) -> usize,
            VE: Fn(u32, &V, &mut B),
            VL: Fn(u32, &V) -> usize,
        {
            encode(
                key_encode,
                key_encoded_len,
                val_encode,
                val_encoded_len,
                tag,
                values,
                buf,
            )
        }

        /// The encoded length of a map field.
        pub fn encoded_len<K, V, KL, VL>(
            key_encoded_len: KL,
            val_encoded_len: VL,
            tag: u32,
            values: &BTreeMap<K, V>,
        ) -> usize
        where
            KL: Fn(u32, &K) -> usize,
            VL: Fn(u32, &V) -> usize,
        {
            key_len(tag) * values.len()
                + values
                    .iter()
                    .map(|(key, val)| {
                        let len = key_encoded_len(1, key) + val_encoded_len(2, val);
                        encoded_len_varint(len as u64) + len
                    })
                    .sum::<usize>()
        }

        /// The encoded length of a map field of enum values.
        pub fn encoded_len_with_default<K, V, KL, VL>(
            key_encoded_len: KL,
            val_encoded_len: VL,
            _val_default: &V,
            tag: u32,
            values: &BTreeMap<K, V>,
        ) -> usize
        where
            KL: Fn(u32, &K) -> usize,
            VL: Fn(u32, &V) -> usize,
        {
            encoded_len(key_encoded_len, val_encoded_len, tag, values)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::encoding::btree_map::sorted;
    use crate::proto::{attr_value, AttrValue, FunctionDef, NodeDef};
    use prost::Message;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    // The expected bytes are what TF 2.21's Python protobuf wrote for the same
    // messages with SerializeToString(deterministic=True).
    #[test]
    fn default_keys_and_values_are_written() {
        let mut node = NodeDef::default();
        node.attr.insert("x".into(), AttrValue::default());
        let zero = AttrValue {
            value: Some(attr_value::Value::I(0)),
        };
        node.attr.insert(String::new(), zero);
        assert_eq!(hex(&node.encode_to_vec()), "2a050a017812002a060a0012021800");
        assert_eq!(node.encoded_len(), node.encode_to_vec().len());
    }

    #[test]
    fn string_keys_put_longer_prefixed_keys_first() {
        let keys = ["T", "Tshape", "a", "_class", "Ta", "b", "ab", "abc", "abd"];
        let map: BTreeMap<String, ()> = keys.iter().map(|k| (k.to_string(), ())).collect();
        let order: Vec<&str> = sorted(&map).into_iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            order,
            ["Ta", "Tshape", "T", "_class", "abc", "abd", "ab", "a", "b"]
        );
    }

    #[test]
    fn integer_keys_descend() {
        let mut function = FunctionDef::default();
        for key in [10u32, 2, 1, 300] {
            function.resource_arg_unique_id.insert(key, key);
        }
        for key in ["b", "a", "ab"] {
            function.ret.insert(key.into(), String::new());
        }
        let expected = "22060a026162120022050a0161120022050a01621200\
                        420608ac0210ac024204080a100a420408021002420408011001";
        assert_eq!(hex(&function.encode_to_vec()), expected.replace(' ', ""));
    }
}
