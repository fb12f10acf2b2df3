//! The signs a person reads to pick a model's outputs: the op of a node (a
//! softmax, a generator's tanh, a class index), the name someone gave it,
//! the scope it sits in, and where it sits (feeding the loss, or the next
//! network). Each sign adds to a score and says, in a few words, why.

use crate::graph::ops::XENT_OPS;

use super::flags::strip_number;
use super::graph_index::GraphIndex;

/// Ops that end a model: probabilities, generated samples, class indices.
const HEAD_OPS: [&str; 12] = [
    "Softmax",
    "LogSoftmax",
    "Sigmoid",
    "Tanh",
    "ArgMax",
    "ArgMin",
    "TopKV2",
    "CTCGreedyDecoder",
    "CTCBeamSearchDecoder",
    "NonMaxSuppressionV3",
    "OneHot",
    "Softplus",
];
/// Ops that end a layer: logits, regression values, Q values.
const LAYER_END_OPS: [&str; 5] = ["BiasAdd", "MatMul", "Add", "AddV2", "BatchMatMulV2"];
/// Ops that only pass a head on in another form.
const RESHAPING_OPS: [&str; 6] = [
    "Reshape",
    "Squeeze",
    "ExpandDims",
    "Cast",
    "Identity",
    "Transpose",
];
/// Words in names people give outputs.
const OUTPUT_WORDS: [&str; 15] = [
    "pred",
    "logit",
    "output",
    "prob",
    "softmax",
    "score",
    "class",
    "q_eval",
    "q_value",
    "action",
    "policy",
    "y_hat",
    "inference",
    "result",
    "infer",
];
/// Scopes of the network that acts or serves.
const SERVING_SCOPES: [&str; 8] = [
    "generator",
    "actor",
    "policy",
    "online",
    "eval_net",
    "eval",
    "q_eval",
    "main",
];
/// Scopes of a network that only trains another: a target copy, a critic, a
/// discriminator.
const TRAINING_SCOPES: [&str; 6] = [
    "target",
    "target_net",
    "target_q",
    "discriminator",
    "critic",
    "q_target",
];

/// How strongly each sign counts; a head op and a given name weigh most.
const HEAD_OP: i32 = 30;
const GIVEN_NAME: i32 = 15;
const NAMED_IDENTITY: i32 = 25;
const OUTPUT_WORD: i32 = 20;
const LAYER_END: i32 = 10;
const SERVING_SCOPE: i32 = 10;
const TRAINING_SCOPE: i32 = -25;
const FEEDS_LOSS: i32 = 20;
// What nothing else reads is what the last line of a model computes.
const SINK: i32 = 30;
const FEEDS_NETWORK: i32 = 15;
const SCALAR: i32 = -20;

/// Where a candidate sits, which the ranking found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// Nothing (or only training) consumes it.
    Sink,
    /// A loss or metric is computed from it.
    FeedsLoss,
    /// The last node of a network that another network reads.
    FeedsNetwork,
    /// Passes on another candidate.
    Follows,
}

/// The score of node `i` at `place`, and the signs that made it.
pub(super) fn score(ix: &GraphIndex<'_>, i: usize, place: Place) -> (i32, Vec<&'static str>) {
    let mut total = 0;
    let mut signs = Vec::new();
    let Some(node) = ix.node(i) else {
        return (total, signs);
    };
    let op = node.op.as_str();
    let mut add = |points: i32, sign: &'static str| {
        total += points;
        if !sign.is_empty() {
            signs.push(sign);
        }
    };
    match place {
        Place::Sink => add(SINK, ""),
        Place::FeedsLoss => add(FEEDS_LOSS, ""),
        Place::FeedsNetwork => add(FEEDS_NETWORK, ""),
        Place::Follows => {}
    }
    if HEAD_OPS.contains(&op) || (RESHAPING_OPS.contains(&op) && reshapes_head(ix, i)) {
        add(HEAD_OP, "a head op");
    } else if LAYER_END_OPS.contains(&op) && ends_scope(ix, i) {
        add(LAYER_END, "");
    }
    let last = node.name.rsplit('/').next().unwrap_or_default();
    if is_given_name(last, op) {
        add(GIVEN_NAME, "a name someone gave it");
        // `tf.identity(x, name=...)`: naming a value is all it does.
        if op == "Identity" {
            add(NAMED_IDENTITY, "");
        }
    }
    let lower = node.name.to_lowercase();
    if OUTPUT_WORDS.iter().any(|w| lower.contains(w)) {
        add(OUTPUT_WORD, "");
    }
    let scopes = || node.name.split('/').rev().skip(1).map(strip_number);
    if scopes().any(|s| TRAINING_SCOPES.contains(&s)) {
        add(TRAINING_SCOPE, "");
    } else if scopes().any(|s| SERVING_SCOPES.contains(&s)) {
        add(SERVING_SCOPE, "");
    }
    if crate::graph::attrs::output_shape(node, 0).is_some_and(|d| d.is_empty()) {
        add(SCALAR, "");
    }
    (total, signs)
}

/// A name that is not the one TF generates from the op (`add_4`, `Softmax`,
/// `BiasAdd`, `one_hot`): someone chose it.
pub(super) fn is_given_name(last: &str, op: &str) -> bool {
    let base = strip_number(last).to_lowercase();
    let op_lower = op.to_lowercase();
    let snake: String = op
        .chars()
        .enumerate()
        .flat_map(|(k, c)| {
            let sep = (k > 0 && c.is_ascii_uppercase()).then_some('_');
            sep.into_iter().chain(c.to_lowercase())
        })
        .collect();
    let generated = base == op_lower
        || base == snake
        || matches!(
            base.as_str(),
            "add"
                | "sub"
                | "mul"
                | "truediv"
                | "div"
                | "mean"
                | "sum"
                | "read"
                | "toint32"
                | "toint64"
                | "tofloat"
        );
    !generated
}

/// `Reshape(Softmax)`: a head in another shape.
fn reshapes_head(ix: &GraphIndex<'_>, i: usize) -> bool {
    let mut node = i;
    for _ in 0..4 {
        let Some(&input) = ix.data_inputs.get(node).and_then(|d| d.first()) else {
            return false;
        };
        let op = ix.op(input);
        if HEAD_OPS.contains(&op) {
            return true;
        }
        if !RESHAPING_OPS.contains(&op) {
            return false;
        }
        node = input;
    }
    false
}

/// The last op of its scope (`logits/BiasAdd`), or of a scope-less graph:
/// no consumer shares its scope.
fn ends_scope(ix: &GraphIndex<'_>, i: usize) -> bool {
    let scope = |k: usize| {
        ix.node(k)
            .and_then(|n| n.name.rsplit_once('/'))
            .map_or("", |(s, _)| s)
    };
    let own = scope(i);
    ix.data_consumers
        .get(i)
        .is_none_or(|cs| cs.iter().all(|&c| scope(c) != own || own.is_empty()))
}

/// Ops a head passes through to its other forms (logits to probabilities to
/// a class index).
pub(super) fn follows_head(op: &str) -> bool {
    HEAD_OPS.contains(&op) || RESHAPING_OPS.contains(&op)
}

/// A loss's own arithmetic, which a walk back from the loss passes through
/// on its way to what the model predicted.
pub(super) fn is_loss_arithmetic(op: &str) -> bool {
    XENT_OPS.contains(&op)
        || matches!(
            op,
            "Sub"
                | "Square"
                | "SquaredDifference"
                | "Mean"
                | "Sum"
                | "Abs"
                | "Neg"
                | "Log"
                | "Log1p"
                | "Mul"
                | "RealDiv"
                | "Div"
                | "AddN"
                | "Add"
                | "AddV2"
                | "Maximum"
                | "Minimum"
                | "Pow"
                | "Sqrt"
                | "Exp"
                | "Reshape"
                | "Cast"
                | "Equal"
                | "NotEqual"
                | "Select"
                | "SelectV2"
                | "L2Loss"
                | "SigmoidCrossEntropyWithLogits"
                | "Identity"
                | "Squeeze"
                | "DivNoNan"
                | "Huber"
        )
}

/// An op that ends a model by itself (a softmax, a class index).
pub(super) fn is_head_op(op: &str) -> bool {
    HEAD_OPS.contains(&op)
}

/// The first name component of a node in a scope, `None` at the top level.
pub(super) fn root_scope<'g>(ix: &GraphIndex<'g>, i: usize) -> Option<&'g str> {
    ix.node(i)?.name.split_once('/').map(|(root, _)| root)
}

/// An op that ends a layer (logits, a regression's value).
pub(super) fn is_layer_end(op: &str) -> bool {
    LAYER_END_OPS.contains(&op)
}

/// In the scope of a network that only trains another (a target copy, a
/// critic, a discriminator).
pub(super) fn in_training_scope(name: &str) -> bool {
    name.split('/')
        .rev()
        .skip(1)
        .any(|s| TRAINING_SCOPES.contains(&strip_number(s)))
}
