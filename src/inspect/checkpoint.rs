//! The checkpoint side of the report: each variable against its value, found
//! by the same lookup the freeze uses, and what the checkpoint holds.

use std::collections::{HashMap, HashSet};

use crate::checkpoint::Checkpoint;
use crate::graph::initializers::{Initial, Nodes};
use crate::graph::saver::Source;
use crate::options::Options;
use crate::proto::GraphDef;
use crate::variables::{self, Disagreement, NotFound};

use super::graph_index::GraphIndex;
use super::{problem, CheckpointVariable, Problem, ProblemKind};

/// Nearest names cost an edit distance per key: only for the first few.
const SUGGESTED_MISSES: usize = 20;

/// Which checkpoint tensors the graph's variables restore from, and which of
/// them the freeze will turn into constants.
pub(super) struct Use {
    pub(super) restored: HashSet<String>,
    pub(super) frozen: HashSet<String>,
}

/// Checks each needed variable against its value, as the freeze will.
pub(super) fn check_variables(
    graph: &GraphDef,
    ix: &GraphIndex<'_>,
    checkpoint: &Checkpoint,
    sources: &HashMap<String, Source>,
    needed: &[bool],
    options: &Options,
    problems: &mut Vec<Problem>,
) -> Use {
    let mut used = Use {
        restored: HashSet::new(),
        frozen: HashSet::new(),
    };
    let mut missing = 0usize;
    let file = checkpoint.file();
    // Built only when a variable is missing: initializers are looked up there.
    let mut initializers: Option<Nodes<'_>> = None;
    for (i, node) in ix.nodes.iter().enumerate() {
        if !crate::graph::ops::is_variable(&node.op) {
            continue;
        }
        let converted = needed.get(i).copied().unwrap_or(false)
            && variables::should_convert(&node.name, options);
        let near = converted && missing < SUGGESTED_MISSES;
        let located = match variables::locate(checkpoint, sources, node, near) {
            Ok(located) => located,
            Err(not_found) => {
                if converted {
                    missing += 1;
                    let initial = matches!(not_found, NotFound::Missing { .. }).then(|| {
                        initializers
                            .get_or_insert_with(|| Nodes::new(graph))
                            .initial_value(&node.name)
                    });
                    match initial {
                        // The freeze gives it its initializer's value.
                        Some(Initial::Constant { .. }) if options.initialize_missing => {}
                        _ => {
                            let mut found =
                                not_found_problem(&node.name, file, &not_found, initial.as_ref());
                            if matches!(initial, Some(Initial::Constant { .. })) {
                                found.fix = Some("initialize_missing");
                            }
                            problems.push(found);
                        }
                    }
                }
                continue;
            }
        };
        used.restored.insert(located.tensor.clone());
        if !converted {
            continue;
        }
        match variables::check(node, file, &located) {
            Ok(()) => {
                used.frozen.insert(located.tensor);
            }
            Err((disagreement, err)) => {
                let kind = match disagreement {
                    Disagreement::Dtype => ProblemKind::DtypeMismatch,
                    Disagreement::Shape => ProblemKind::ShapeMismatch,
                };
                problems.push(problem(kind, &node.name, err.to_string()));
            }
        }
    }
    used
}

fn not_found_problem(
    variable: &str,
    file: &str,
    not_found: &NotFound,
    initial: Option<&Initial>,
) -> Problem {
    // An initializer that is neither constant nor random says nothing useful here.
    let note = match initial {
        Some(i @ (Initial::Constant { .. } | Initial::Random(_))) => format!("; {}", i.note()),
        _ => String::new(),
    };
    match not_found {
        NotFound::Missing { key, near } => problem(
            ProblemKind::MissingVariable,
            variable,
            format!(
                "the outputs need variable '{variable}' but the checkpoint has no key '{key}'{}{note}",
                near.as_ref()
                    .map_or(String::new(), |n| format!("; it has '{n}'"))
            ),
        ),
        NotFound::Uncovered { .. } => problem(
            ProblemKind::MissingVariable,
            variable,
            not_found.to_error(variable, file).to_string(),
        ),
    }
}

pub(super) fn checkpoint_variables(checkpoint: &Checkpoint, used: &Use) -> Vec<CheckpointVariable> {
    checkpoint
        .listing()
        .into_iter()
        .map(|t| CheckpointVariable {
            dtype: crate::dtype::python_dtype_name(t.dtype),
            shape: Some(t.dims.iter().map(|&d| d.max(-1)).collect()),
            bytes: t.bytes,
            used_by_graph: used.restored.contains(&t.name),
            will_freeze: used.frozen.contains(&t.name),
            name: t.name,
        })
        .collect()
}
