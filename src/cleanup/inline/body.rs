//! One function body copied into the graph at one call: FunctionDef names
//! (`arg`, `node:out_arg:index`, `^node`) become GraphDef names (the call's
//! inputs, `prefix/node:port`, `^prefix/node`), and attr placeholders (`$T`)
//! take the values the call instantiates the function with.

use std::collections::{BTreeMap, HashMap};

use crate::error::{Error, Result};
use crate::graph::names::node_name;
use crate::graph::op_outputs::{self, Count, OutputArg};
use crate::proto::{attr_value, AttrValue, FunctionDef, NodeDef, OpDef};

/// Where the output args of ops come from: TF's registry, then the graph's
/// own op list (custom ops), then the library (functions called by name).
pub(super) struct Ops<'a> {
    pub op_list: HashMap<&'a str, &'a OpDef>,
    pub functions: &'a HashMap<String, FunctionDef>,
}

impl Ops<'_> {
    /// The output args of `node`. A call without `Tout` (which TF always
    /// writes) has as many `output`s as its function has results; a node
    /// whose op is a function has the function's results.
    pub fn outputs(&self, node: &NodeDef) -> Option<Vec<OutputArg>> {
        let signature = super::called(node, self.functions)
            .and_then(|f| self.functions.get(f))
            .and_then(|f| f.signature.as_ref());
        if let Some(signature) = signature {
            if !super::CALL_OPS.contains(&node.op.as_str()) {
                return Some(op_outputs::of_op_def(signature));
            }
            if !node.attr.contains_key("Tout") {
                let results = op_outputs::of_op_def(signature);
                let n = op_outputs::total(&results, &node.attr, &node.name).ok()?;
                return Some(vec![OutputArg {
                    name: "output".into(),
                    count: Count::Fixed(n),
                }]);
            }
        }
        let op = node.op.as_str();
        if let Some(args) = op_outputs::registered(op) {
            return Some(args.to_vec());
        }
        if let Some(def) = self.op_list.get(op) {
            return Some(op_outputs::of_op_def(def));
        }
        None
    }
}

/// A body placed in the graph.
#[derive(Debug, Default)]
pub(super) struct Placed {
    /// The body's nodes, renamed.
    pub nodes: Vec<NodeDef>,
    /// What each output of the call is now (`prefix/node:port` or a call input).
    pub outputs: Vec<String>,
    /// The renamed nodes of `control_ret`, which must run for the call to be done.
    pub control: Vec<String>,
    /// The data type of each output, for a node standing for the call.
    pub types: Vec<i32>,
}

/// What a call gives its body.
pub(super) struct Call<'a> {
    /// The call node's name (for messages).
    pub name: &'a str,
    /// The data inputs of the call, in order.
    pub inputs: Vec<&'a str>,
    /// The attrs the function is instantiated with: the `f` attr's own, then
    /// the call node's.
    pub attrs: BTreeMap<String, AttrValue>,
    /// The prefix of every body node (`call/`).
    pub prefix: String,
    /// The device of body nodes that name none (None: clear every device).
    pub device: Option<&'a str>,
}

/// Copies `function` into the graph for `call`.
pub(super) fn place(function: &FunctionDef, call: &Call<'_>, ops: &Ops<'_>) -> Result<Placed> {
    let signature = function.signature.clone().unwrap_or_default();
    let args = arguments(&signature, call)?;
    let nodes = instantiate(function, &signature.name, &call.attrs)?;
    let body = numbering(&nodes, &signature.name, ops)?;
    let names = Names {
        body: &body,
        args: &args,
        prefix: &call.prefix,
        function: &signature.name,
    };
    let mut placed = Placed::default();
    for node in &nodes {
        placed.nodes.push(renamed(node, &names, call.device)?);
    }
    for arg in &signature.output_arg {
        let result = function.ret.get(&arg.name).ok_or_else(|| {
            Error::mismatch(
                &signature.name,
                format!(
                    "the function's result '{}' has no entry in its ret map",
                    arg.name
                ),
            )
        })?;
        placed.outputs.push(names.data(result, "ret")?);
        let dtype = match call
            .attrs
            .get(&arg.type_attr)
            .and_then(|a| a.value.as_ref())
        {
            Some(attr_value::Value::Type(t)) => *t,
            _ => arg.r#type,
        };
        placed.types.push(dtype);
    }
    for name in &signature.control_output {
        let node = function.control_ret.get(name).unwrap_or(name);
        if body.contains_key(node.as_str()) {
            placed.control.push(format!("{}{node}", call.prefix));
        }
    }
    Ok(placed)
}

/// The body's nodes with their attr placeholders bound.
fn instantiate(
    function: &FunctionDef,
    name: &str,
    bound: &BTreeMap<String, AttrValue>,
) -> Result<Vec<NodeDef>> {
    let mut nodes = function.node_def.clone();
    for node in &mut nodes {
        let what = format!("node '{}' of function '{name}'", node.name);
        for value in node.attr.values_mut() {
            substitute(value, bound, &what)?;
        }
    }
    Ok(nodes)
}

/// The output args of each body node, with the attrs that count them.
type Numbering<'n> = HashMap<&'n str, (Vec<OutputArg>, &'n BTreeMap<String, AttrValue>)>;

fn numbering<'n>(nodes: &'n [NodeDef], function: &str, ops: &Ops<'_>) -> Result<Numbering<'n>> {
    let mut body = HashMap::new();
    for node in nodes {
        let outputs = ops.outputs(node).ok_or_else(|| {
            Error::unsupported(format!(
                "node '{}' of function '{function}': op '{}' is neither one TF 2.21 registers nor \
                 in the graph's op list or library, so its outputs cannot be numbered and the \
                 function cannot be inlined",
                node.name, node.op
            ))
        })?;
        body.insert(node.name.as_str(), (outputs, &node.attr));
    }
    Ok(body)
}

/// A body node under its graph name, reading graph names, on its device.
fn renamed(node: &NodeDef, names: &Names<'_>, caller_device: Option<&str>) -> Result<NodeDef> {
    let mut copy = node.clone();
    copy.name = format!("{}{}", names.prefix, node.name);
    copy.input = Vec::with_capacity(node.input.len());
    for input in &node.input {
        copy.input.extend(names.input(input, &node.name)?);
    }
    copy.device = match caller_device {
        None => String::new(),
        Some(caller) if copy.device.is_empty() => caller.to_owned(),
        Some(_) => copy.device,
    };
    colocate(&mut copy, names);
    Ok(copy)
}

/// Each input arg's name and the call inputs it stands for (a list arg
/// stands for several).
fn arguments<'a>(signature: &OpDef, call: &Call<'a>) -> Result<HashMap<String, Vec<&'a str>>> {
    let mut args = HashMap::new();
    let mut next = 0usize;
    let what = format!("function '{}' called by '{}'", signature.name, call.name);
    for arg in &signature.input_arg {
        let n = if !arg.number_attr.is_empty() || !arg.type_list_attr.is_empty() {
            let list = op_outputs::of_op_def(&OpDef {
                output_arg: vec![arg.clone()],
                ..Default::default()
            });
            op_outputs::total(&list, &call.attrs, &what)?
        } else {
            1
        };
        let end = next.saturating_add(n);
        let inputs = call
            .inputs
            .get(next..end)
            .ok_or_else(|| too_few(call, signature))?;
        args.insert(arg.name.clone(), inputs.to_vec());
        next = end;
    }
    if next != call.inputs.len() {
        return Err(too_few(call, signature));
    }
    Ok(args)
}

fn too_few(call: &Call<'_>, signature: &OpDef) -> Error {
    Error::mismatch(
        call.name,
        format!(
            "it gives {} inputs, which do not fit the arguments of function '{}'",
            call.inputs.len(),
            signature.name
        ),
    )
}

/// Replaces an attr placeholder by the value the call binds, as TF's
/// instantiation does (function.cc `SubstitutePlaceholders`).
fn substitute(
    value: &mut AttrValue,
    bound: &BTreeMap<String, AttrValue>,
    what: &str,
) -> Result<()> {
    if let Some(attr_value::Value::Placeholder(name)) = &value.value {
        *value = bound.get(name).cloned().ok_or_else(|| {
            Error::mismatch(
                what,
                format!("its attr placeholder '${name}' has no value in the call"),
            )
        })?;
    }
    Ok(())
}

/// The naming of one body.
struct Names<'a> {
    body: &'a Numbering<'a>,
    args: &'a HashMap<String, Vec<&'a str>>,
    prefix: &'a str,
    function: &'a str,
}

impl Names<'_> {
    /// A body node's input in the graph's naming (a list is several inputs).
    fn input(&self, input: &str, node: &str) -> Result<Vec<String>> {
        let Some(source) = input.strip_prefix('^') else {
            return self.tensors(input, node);
        };
        if self.body.contains_key(source) {
            return Ok(vec![format!("^{}{source}", self.prefix)]);
        }
        // A control edge on an argument waits for the node giving it.
        match self.args.get(source).and_then(|inputs| inputs.first()) {
            Some(given) => Ok(vec![format!("^{}", node_name(given))]),
            None => Err(self.unknown(input, node)),
        }
    }

    /// One tensor: a result, or an input that must not be a list.
    fn data(&self, reference: &str, node: &str) -> Result<String> {
        match self.tensors(reference, node)?.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(Error::mismatch(
                &format!("node '{node}' of function '{}'", self.function),
                format!("'{reference}' is a list of tensors where one is read"),
            )),
        }
    }

    /// The tensors a data reference names: `arg` (all of a list argument),
    /// `arg:k`, `node:out_arg` (all of a list output) or `node:out_arg:index`,
    /// as function.cc's `BuildInputArgIndex`/`BuildNodeOutputIndex` name them.
    fn tensors(&self, reference: &str, node: &str) -> Result<Vec<String>> {
        let parts: Vec<&str> = reference.split(':').collect();
        let unknown = || self.unknown(reference, node);
        match parts.as_slice() {
            [arg] => {
                let given = self.args.get(*arg).ok_or_else(unknown)?;
                Ok(given.iter().map(|g| (*g).to_owned()).collect())
            }
            [arg, k] if self.args.contains_key(*arg) => {
                let k: usize = k.parse().map_err(|_| unknown())?;
                let given = self
                    .args
                    .get(*arg)
                    .and_then(|g| g.get(k))
                    .ok_or_else(unknown)?;
                Ok(vec![(*given).to_owned()])
            }
            [source, out_arg] => {
                let n = self.output_count(source, out_arg, reference, node)?;
                (0..n)
                    .map(|i| self.output(source, out_arg, i, reference, node))
                    .collect()
            }
            [source, out_arg, index] => {
                let index: usize = index.parse().map_err(|_| unknown())?;
                Ok(vec![self.output(source, out_arg, index, reference, node)?])
            }
            _ => Err(unknown()),
        }
    }

    /// How many tensors output arg `out_arg` of body node `source` holds.
    fn output_count(
        &self,
        source: &str,
        out_arg: &str,
        reference: &str,
        node: &str,
    ) -> Result<usize> {
        let (outputs, attrs) = self
            .body
            .get(source)
            .ok_or_else(|| self.unknown(reference, node))?;
        let what = format!("node '{source}' of function '{}'", self.function);
        let arg = outputs
            .iter()
            .find(|a| a.name == out_arg)
            .ok_or_else(|| self.unknown(reference, node))?;
        op_outputs::count(arg, attrs, &what)
    }

    /// Body node `source`'s output `out_arg:index` in the graph's naming.
    fn output(
        &self,
        source: &str,
        out_arg: &str,
        index: usize,
        reference: &str,
        node: &str,
    ) -> Result<String> {
        let (outputs, attrs) = self
            .body
            .get(source)
            .ok_or_else(|| self.unknown(reference, node))?;
        let what = format!("node '{source}' of function '{}'", self.function);
        let port = op_outputs::port(outputs, attrs, out_arg, index, &what)?;
        Ok(if port == 0 {
            format!("{}{source}", self.prefix)
        } else {
            format!("{}{source}:{port}", self.prefix)
        })
    }

    fn unknown(&self, reference: &str, node: &str) -> Error {
        Error::mismatch(
            &format!("node '{node}' of function '{}'", self.function),
            format!(
                "it reads '{reference}', which is neither an argument nor a node of the function"
            ),
        )
    }
}

/// Colocation with a body node names the renamed node; with an argument, the
/// node giving it (inline_function_utils.cc keeps the groups the same way).
/// A group naming neither (TF writes the captured tensor's name in the
/// outer graph, `embedding_lookup/13` for the argument `embedding_lookup_13`)
/// is dropped: importing a graph colocated with an unknown node fails.
fn colocate(node: &mut NodeDef, names: &Names<'_>) {
    let Some(attr_value::Value::List(list)) =
        node.attr.get_mut("_class").and_then(|a| a.value.as_mut())
    else {
        return;
    };
    let groups = std::mem::take(&mut list.s);
    for group in groups {
        let Some(target) = std::str::from_utf8(&group)
            .ok()
            .and_then(|g| g.strip_prefix("loc:@"))
        else {
            list.s.push(group);
            continue;
        };
        let renamed = if names.body.contains_key(target) {
            format!("{}{target}", names.prefix)
        } else if let Some(given) = names.args.get(target).and_then(|i| i.first()) {
            node_name(given).to_owned()
        } else {
            continue;
        };
        list.s.push(format!("loc:@{renamed}").into_bytes());
    }
    if list.s.is_empty() {
        node.attr.remove("_class");
    }
}
