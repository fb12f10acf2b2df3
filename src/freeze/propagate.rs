//! Following a frozen variable to everything that reads it, in the main graph
//! and into function bodies (control flow v2, `tf.function` calls), as
//! convert_to_constants.py's `_Node` classes do. Differences from TF 2.21, all
//! of them places where TF writes a graph that does not run: `Merge` is
//! retyped, `ResourceGather` inside functions is rewritten, `While` outputs
//! and their `_output_shapes` are followed, and a resource input that cannot be
//! rewritten inside a function is refused instead of left behind.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::error::{Error, Result};
use crate::graph::attrs::type_attr;
use crate::graph::names::endpoint;
use crate::graph::ops::{needs_variable_itself, FUNCTION_CALL_OPS, PASS_THROUGH_OPS};
use crate::proto::{attr_value, FunctionDef, GraphDef, NodeDef, TensorShapeProto};

use super::rewrite;

/// The function library being rewritten, and what was renamed.
pub(super) struct Library {
    pub functions: Vec<FunctionDef>,
    /// Original name → new name of each converted function.
    pub renamed: HashMap<String, String>,
    /// (function, argument) pairs already converted.
    converted_args: HashSet<(String, usize)>,
    /// How many function bodies are being followed, one inside the other.
    depth: usize,
}

/// The deepest chain of function calls followed. Each level is a few stack
/// frames, and a crafted library calling itself thousands of levels deep
/// would overflow the stack (in the page, trap the worker); real graphs nest
/// a handful of levels.
pub(super) const MAX_CALL_DEPTH: usize = 100;

impl Library {
    pub fn new(functions: Vec<FunctionDef>) -> Self {
        Library {
            functions,
            renamed: HashMap::new(),
            converted_args: HashSet::new(),
            depth: 0,
        }
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.functions
            .iter()
            .position(|f| f.signature.as_ref().is_some_and(|s| s.name == name))
    }
}

/// The value a frozen variable now gives.
#[derive(Clone)]
pub(super) struct Value {
    pub dtype: i32,
    pub shape: TensorShapeProto,
}

/// Where the nodes live. Inside a function, inputs name node outputs as
/// `node:out_arg:index` and arguments by their bare name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Body<'f> {
    Main,
    Function(&'f str),
}

/// For each producing node name, its data consumers: (consumer, input
/// position, output index of the producer).
pub(super) type Consumers = HashMap<String, Vec<(usize, usize, usize)>>;

/// Built once per body: the rewrites keep every data edge (a rewritten node
/// keeps its data inputs, and added inputs name nodes no variable reaches).
pub(super) fn consumers(nodes: &[NodeDef]) -> Consumers {
    // Sized once, as most nodes are read by something: growing it rehashes
    // every name at each doubling.
    let mut map: Consumers = HashMap::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        for (position, input) in node.input.iter().enumerate() {
            if input.starts_with('^') {
                continue;
            }
            let (source, output) = endpoint(input);
            map.entry(source.to_owned())
                .or_default()
                .push((i, position, output));
        }
    }
    map
}

/// Follows the variable at main-graph node `variable`; Consts the rewrite
/// needs in the main graph (gather axes) are pushed to `appended`.
pub(super) fn from_variable(
    nodes: &mut [NodeDef],
    map: &Consumers,
    appended: &mut Vec<NodeDef>,
    library: &mut Library,
    variable: &str,
    value: &Value,
) -> Result<()> {
    walk(nodes, map, Body::Main, appended, library, variable, value)
}

/// Follows the value from `source` (a variable node or a function argument)
/// to everything that reads it, rewriting as it goes.
fn walk(
    nodes: &mut [NodeDef],
    map: &Consumers,
    body: Body<'_>,
    appended: &mut Vec<NodeDef>,
    library: &mut Library,
    source: &str,
    value: &Value,
) -> Result<()> {
    let follow = |name: &str, output: Option<usize>| -> Vec<(usize, usize)> {
        map.get(name)
            .into_iter()
            .flatten()
            .filter(|&&(_, _, o)| output.is_none_or(|want| want == o))
            .map(|&(i, p, _)| (i, p))
            .collect()
    };
    let start = follow(source, None);
    let mut queue: VecDeque<(usize, usize)> = start.into();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    while let Some((index, input)) = queue.pop_front() {
        if !seen.insert((index, input)) {
            continue;
        }
        let Some(node) = nodes.get_mut(index) else {
            continue;
        };
        let name = node.name.clone();
        match node.op.as_str() {
            "ReadVariableOp" => {
                *node = rewrite::read_to_identity(node);
                if let Body::Function(_) = body {
                    rename_output_arg(nodes, &name, "value", "output");
                }
            }
            // TF 2.21 never updates a Merge (its `_Merge` class does nothing). That
            // only matters when the type changes, a resource becoming its value;
            // a ref variable's Merge already has the value's type, and is left
            // exactly as TF leaves it.
            // The Ref* forms are left as TF leaves them: they need the variable
            // itself, which `--fix_ref_ops` rewrites away.
            "Merge" if type_attr(node, "T") == Some(value.dtype) => {}
            op if PASS_THROUGH_OPS.contains(&op) => {
                rewrite::set_type(node, input, value.dtype)?;
                node.attr.remove("_output_shapes");
                queue.extend(follow(&name, None));
            }
            "ResourceGather" => {
                let in_function = matches!(body, Body::Function(_));
                let (gather, axis) = rewrite::gather_to_gather_v2(node, in_function)?;
                *node = gather;
                appended.push(axis);
            }
            "ResourceGatherNd" => *node = rewrite::gather_nd(node),
            "VariableShape" => *node = rewrite::variable_shape(node, value.dtype),
            op if FUNCTION_CALL_OPS.contains(&op) => {
                if let Some(output) = call(node, input, value, library)? {
                    queue.extend(follow(&name, Some(output)));
                }
            }
            op => {
                if let Body::Function(function) = body {
                    if needs_variable_itself(op) {
                        return Err(Error::unsupported(format!(
                            "node '{name}' ({op}) in function '{function}' needs the variable itself, \
                             not its value, so the function cannot be frozen; keep that variable with \
                             `variable_names_denylist`"
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Inside a function, consumers name a ReadVariableOp's output `x:value:k`;
/// Identity's output is `x:output:k`.
fn rename_output_arg(nodes: &mut [NodeDef], node: &str, from: &str, to: &str) {
    let old = format!("{node}:{from}:");
    let new = format!("{node}:{to}:");
    for other in nodes.iter_mut() {
        for input in other.input.iter_mut() {
            if let Some(rest) = input.strip_prefix(&old) {
                *input = format!("{new}{rest}");
            }
        }
    }
}

/// Which inputs of a caller go to its functions, its input-type attr, and
/// its function attrs (convert_to_constants.py `_FunctionCaller` subclasses).
fn caller_layout(op: &str) -> (usize, &'static str, &'static [&'static str]) {
    match op {
        "If" | "StatelessIf" => (1, "Tin", &["then_branch", "else_branch"]),
        "Case" => (1, "Tin", &["branches"]),
        "While" | "StatelessWhile" => (0, "T", &["cond", "body"]),
        _ => (0, "Tin", &["f"]),
    }
}

/// A frozen value reaches input `input` of a function caller: retype it,
/// convert the called functions' argument, and say which output of the
/// caller now carries the value (a `While` passes its loop variables through).
fn call(
    node: &mut NodeDef,
    input: usize,
    value: &Value,
    library: &mut Library,
) -> Result<Option<usize>> {
    let (first, type_attr, function_attrs) = caller_layout(&node.op);
    let Some(arg) = input.checked_sub(first) else {
        return Ok(None);
    };
    rewrite::set_type_list(node, type_attr, arg, value.dtype)?;
    let is_while = matches!(node.op.as_str(), "While" | "StatelessWhile");
    if is_while {
        rewrite::set_shape_list(node, "output_shapes", arg, &value.shape);
        rewrite::set_shape_list(node, "_output_shapes", arg, &value.shape);
    }
    for attr in function_attrs {
        let Some(attr_value::Value::Func(_) | attr_value::Value::List(_)) =
            node.attr.get(*attr).and_then(|a| a.value.as_ref())
        else {
            continue;
        };
        let names = rewrite::function_names(node, attr);
        let mut renamed = Vec::with_capacity(names.len());
        for name in names {
            let while_body = is_while && *attr == "body";
            renamed.push(function_argument(library, &name, arg, value, while_body)?);
        }
        rewrite::set_function_names(node, attr, &renamed);
    }
    Ok(is_while.then_some(arg))
}

/// Converts argument `arg` of function `name` to `value`, in a renamed copy
/// (`<base>_frozen_<n>`), and follows it through the body. Returns the name
/// callers must use.
fn function_argument(
    library: &mut Library,
    name: &str,
    arg: usize,
    value: &Value,
    while_body: bool,
) -> Result<String> {
    let already_new = library.renamed.values().any(|v| v == name);
    let new_name = match library.renamed.get(name) {
        Some(done) => done.clone(),
        // A caller converted for an earlier variable already names the copy.
        None if already_new => name.to_owned(),
        None => {
            let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
            let base = base
                .strip_suffix('_')
                .filter(|_| base.len() < name.len())
                .unwrap_or(name);
            let fresh = format!("{base}_frozen_{}", library.renamed.len());
            library.renamed.insert(name.to_owned(), fresh.clone());
            fresh
        }
    };
    if !library.converted_args.insert((new_name.clone(), arg)) {
        return Ok(new_name);
    }
    let position = library
        .position(name)
        .or_else(|| library.position(&new_name))
        .ok_or_else(|| {
            Error::mismatch(
                name,
                "a node calls this function, which the graph's library does not have",
            )
        })?;
    if library.depth >= MAX_CALL_DEPTH {
        return Err(Error::unsupported(format!(
            "function '{name}' is called through more than {MAX_CALL_DEPTH} nested function calls \
             from the variable, deeper than this version follows a variable into functions"
        )));
    }
    let mut function = library
        .functions
        .get_mut(position)
        .map(std::mem::take)
        .unwrap_or_default();
    library.depth = library.depth.saturating_add(1);
    let result = convert_argument(&mut function, &new_name, arg, value, while_body, library);
    library.depth = library.depth.saturating_sub(1);
    if let Some(slot) = library.functions.get_mut(position) {
        *slot = function;
    }
    result.map(|()| new_name)
}

fn convert_argument(
    function: &mut FunctionDef,
    new_name: &str,
    arg: usize,
    value: &Value,
    while_body: bool,
    library: &mut Library,
) -> Result<()> {
    let signature = function.signature.get_or_insert_with(Default::default);
    signature.name = new_name.to_owned();
    let arg_name = {
        let input = signature.input_arg.get_mut(arg).ok_or_else(|| {
            Error::mismatch(new_name, format!("the function has no argument {arg}"))
        })?;
        input.r#type = value.dtype;
        input.name.clone()
    };
    if while_body {
        if let Some(output) = signature.output_arg.get_mut(arg) {
            output.r#type = value.dtype;
        }
    }
    rewrite::forget_shape(function.attr.get_mut("_input_shapes"), arg);
    if let Some(attrs) = function
        .arg_attr
        .get_mut(&u32::try_from(arg).unwrap_or(u32::MAX))
    {
        rewrite::forget_shape(attrs.attr.get_mut("_output_shapes"), 0);
    }
    let map = consumers(&function.node_def);
    let mut axes = Vec::new();
    walk(
        &mut function.node_def,
        &map,
        Body::Function(new_name),
        &mut axes,
        library,
        &arg_name,
        value,
    )?;
    for axis in axes {
        if !function.node_def.iter().any(|n| n.name == axis.name) {
            function.node_def.push(axis);
        }
    }
    // Function results naming a former ReadVariableOp's `value` output.
    let identities: Vec<String> = function
        .node_def
        .iter()
        .filter(|n| n.op == "Identity")
        .map(|n| format!("{}:value:", n.name))
        .collect();
    for result in function.ret.values_mut() {
        if let Some(prefix) = identities.iter().find(|p| result.starts_with(p.as_str())) {
            *result = result.replacen(":value:", ":output:", 1);
            let _ = prefix;
        }
    }
    Ok(())
}

/// A converted function is renamed in place, as TF does; an original that
/// some other node or function still calls is kept as well.
pub(super) fn keep_still_called(
    graph: &GraphDef,
    functions: &mut Vec<FunctionDef>,
    originals: &[FunctionDef],
    renamed: &HashMap<String, String>,
) {
    let mut called: HashSet<String> = HashSet::new();
    let mut note = |node: &NodeDef| {
        for attr in node.attr.values() {
            match &attr.value {
                Some(attr_value::Value::Func(f)) => {
                    called.insert(f.name.clone());
                }
                Some(attr_value::Value::List(list)) => {
                    called.extend(list.func.iter().map(|f| f.name.clone()));
                }
                _ => {}
            }
        }
    };
    graph.node.iter().for_each(&mut note);
    functions
        .iter()
        .flat_map(|f| &f.node_def)
        .for_each(&mut note);
    for original in originals {
        let name = original
            .signature
            .as_ref()
            .map(|s| s.name.as_str())
            .unwrap_or_default();
        if renamed.contains_key(name) && called.contains(name) {
            functions.push(original.clone());
        }
    }
}
