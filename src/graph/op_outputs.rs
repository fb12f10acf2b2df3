//! The output args of every op TF 2.21 registers, for numbering a node's
//! outputs. A FunctionDef body names an output `node:out_arg:index`; a
//! GraphDef names it `node:port`, the position over all output args with the
//! lists expanded (tensorflow/core/framework/function.cc builds the same
//! mapping from the op defs). `op_outputs.txt` is made by
//! scripts/op_outputs.py: one op a line, `Name arg arg*N arg+T`, where `*N`
//! is a list as long as the int attr `N` and `+T` one with the types of the
//! type-list attr `T`.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::proto::{attr_value, AttrValue, OpDef};

/// How many tensors an output arg holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Count {
    /// One tensor.
    One,
    /// This many tensors, known otherwise (a call's results).
    Fixed(usize),
    /// As many as the int attr of this name says (`number_attr`).
    Number(String),
    /// One per type of the type-list attr of this name (`type_list_attr`).
    TypeList(String),
}

/// One output arg of an op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputArg {
    /// Its name, as `node:name:index` uses it.
    pub name: String,
    /// How many tensors it holds.
    pub count: Count,
}

type Table = HashMap<String, Vec<OutputArg>>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("op_outputs.txt")
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let op = words.next()?;
                Some((op.to_owned(), words.map(parse_arg).collect()))
            })
            .collect()
    })
}

fn parse_arg(word: &str) -> OutputArg {
    let (name, count) = if let Some((name, attr)) = word.split_once('*') {
        (name, Count::Number(attr.to_owned()))
    } else if let Some((name, attr)) = word.split_once('+') {
        (name, Count::TypeList(attr.to_owned()))
    } else {
        (word, Count::One)
    };
    OutputArg {
        name: name.to_owned(),
        count,
    }
}

/// The output args of registered op `op`; `None` for an op TF 2.21 does not
/// register (a custom op, or a function called by name).
pub fn registered(op: &str) -> Option<&'static [OutputArg]> {
    table().get(op).map(Vec::as_slice)
}

/// The output args of an op definition (a `.meta`'s `stripped_op_list`, or a
/// function's signature).
pub fn of_op_def(def: &OpDef) -> Vec<OutputArg> {
    def.output_arg
        .iter()
        .map(|arg| OutputArg {
            name: arg.name.clone(),
            count: if !arg.number_attr.is_empty() {
                Count::Number(arg.number_attr.clone())
            } else if !arg.type_list_attr.is_empty() {
                Count::TypeList(arg.type_list_attr.clone())
            } else {
                Count::One
            },
        })
        .collect()
}

/// Largest list length an attr may give; a crafted `N` must not size anything.
const MAX_LIST: i64 = 1 << 20;

/// How many tensors `arg` holds for a node with `attrs`; `what` names the
/// node in the message.
pub fn count(arg: &OutputArg, attrs: &BTreeMap<String, AttrValue>, what: &str) -> Result<usize> {
    let missing = |attr: &str| {
        Error::unsupported(format!(
            "{what}: the length of its list '{}' is given by attr '{attr}', which it does not \
             set, so its outputs cannot be numbered",
            arg.name
        ))
    };
    match &arg.count {
        Count::One => Ok(1),
        Count::Fixed(n) => Ok(*n),
        Count::Number(attr) => match attrs.get(attr).and_then(|a| a.value.as_ref()) {
            Some(attr_value::Value::I(n)) if (0..=MAX_LIST).contains(n) => {
                usize::try_from(*n).map_err(|_| missing(attr))
            }
            _ => Err(missing(attr)),
        },
        Count::TypeList(attr) => match attrs.get(attr).and_then(|a| a.value.as_ref()) {
            Some(attr_value::Value::List(list)) => Ok(list.r#type.len()),
            _ => Err(missing(attr)),
        },
    }
}

/// The port of output `index` of arg `name`: the outputs of the args before
/// it, plus `index`.
pub fn port(
    args: &[OutputArg],
    attrs: &BTreeMap<String, AttrValue>,
    name: &str,
    index: usize,
    what: &str,
) -> Result<usize> {
    let mut first = 0usize;
    for arg in args {
        let n = count(arg, attrs, what)?;
        if arg.name == name {
            return if index < n {
                Ok(first.saturating_add(index))
            } else {
                Err(Error::mismatch(
                    what,
                    format!("its output '{name}:{index}' is read, but '{name}' holds {n}"),
                ))
            };
        }
        first = first.saturating_add(n);
    }
    Err(Error::mismatch(
        what,
        format!("its output '{name}' is read, but its op has no output of that name"),
    ))
}

/// The output arg and index of `port`, the inverse of [`port`].
pub fn arg_of_port<'a>(
    args: &'a [OutputArg],
    attrs: &BTreeMap<String, AttrValue>,
    port: usize,
    what: &str,
) -> Result<(&'a str, usize)> {
    let mut first = 0usize;
    for arg in args {
        let n = count(arg, attrs, what)?;
        if let Some(index) = port.checked_sub(first).filter(|i| *i < n) {
            return Ok((arg.name.as_str(), index));
        }
        first = first.saturating_add(n);
    }
    Err(Error::mismatch(
        what,
        format!("its output {port} is read, but it has {first} outputs"),
    ))
}

/// How many outputs a node of `args` with `attrs` has.
pub fn total(args: &[OutputArg], attrs: &BTreeMap<String, AttrValue>, what: &str) -> Result<usize> {
    args.iter().try_fold(0usize, |sum, arg| {
        Ok(sum.saturating_add(count(arg, attrs, what)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::attr_value::ListValue;

    fn int(n: i64) -> AttrValue {
        AttrValue {
            value: Some(attr_value::Value::I(n)),
        }
    }

    #[test]
    fn the_table_knows_multi_output_ops() {
        let bn = registered("FusedBatchNormV3").unwrap();
        assert_eq!(bn.len(), 6);
        assert_eq!(bn[1].name, "batch_mean");
        let split = registered("Split").unwrap();
        assert_eq!(split[0].count, Count::Number("num_split".into()));
        let call = registered("StatefulPartitionedCall").unwrap();
        assert_eq!(call[0].count, Count::TypeList("Tout".into()));
        assert_eq!(registered("NoOp").unwrap().len(), 0);
        assert!(registered("NotAnOp").is_none());
    }

    #[test]
    fn ports_count_the_lists_before() {
        // Unique: y, idx. SparseSplit: output_indices*N output_values*N output_shape*N.
        let attrs = BTreeMap::new();
        let unique = registered("Unique").unwrap();
        assert_eq!(port(unique, &attrs, "idx", 0, "n").unwrap(), 1);
        let split = registered("SparseSplit").unwrap();
        let attrs: BTreeMap<String, AttrValue> = [("num_split".to_owned(), int(3))].into();
        assert_eq!(port(split, &attrs, "output_values", 2, "n").unwrap(), 5);
        assert_eq!(port(split, &attrs, "output_shape", 0, "n").unwrap(), 6);
        assert_eq!(total(split, &attrs, "n").unwrap(), 9);
        assert_eq!(
            arg_of_port(split, &attrs, 5, "n").unwrap(),
            ("output_values", 2)
        );
        assert!(arg_of_port(split, &attrs, 9, "n").is_err());
        assert!(port(split, &attrs, "output_shape", 3, "n").is_err());
        assert!(port(split, &attrs, "nope", 0, "n").is_err());
        let types = AttrValue {
            value: Some(attr_value::Value::List(Box::new(ListValue {
                r#type: vec![1, 3],
                ..Default::default()
            }))),
        };
        let attrs: BTreeMap<String, AttrValue> = [("Tout".to_owned(), types)].into();
        let call = registered("PartitionedCall").unwrap();
        assert_eq!(port(call, &attrs, "output", 1, "n").unwrap(), 1);
    }

    #[test]
    fn an_unset_count_is_refused() {
        let split = registered("Split").unwrap();
        let err = port(split, &BTreeMap::new(), "output", 0, "node 's'").unwrap_err();
        assert!(err.to_string().contains("num_split"), "{err}");
        let attrs: BTreeMap<String, AttrValue> = [("num_split".to_owned(), int(-1))].into();
        assert!(port(split, &attrs, "output", 0, "node 's'").is_err());
    }
}
