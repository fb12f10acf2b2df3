//! The op catalogue: what the passes need to know about TensorFlow's ops, in
//! one place so the freeze, the cleanups and the report agree on it.
//! (core/ops/state_ops.cc, resource_variable_ops.cc, array_ops.cc,
//! control_flow_ops.cc, training_ops.cc)

/// Ops whose output is a variable (a reference or a resource handle).
pub const VARIABLE_OPS: [&str; 3] = ["Variable", "VariableV2", "VarHandleOp"];

/// Variable ops whose output is a reference (`float_ref`), not a resource.
pub const REF_VARIABLE_OPS: [&str; 2] = ["Variable", "VariableV2"];

/// Ops that are fed: the graph's inputs.
pub const PLACEHOLDER_OPS: [&str; 3] = ["Placeholder", "PlaceholderV2", "PlaceholderWithDefault"];

/// Ops whose output never is a model output.
pub const NOT_OUTPUT_OPS: [&str; 5] = ["NoOp", "Const", "Assert", "ControlTrigger", "HostConst"];

/// Ops that only run for saving, restoring, initialising or input bookkeeping.
pub const BOOKKEEPING_OPS: [&str; 17] = [
    "NoOp",
    "Assert",
    "SaveV2",
    "Save",
    "SaveSlices",
    "RestoreV2",
    "Restore",
    "RestoreSlice",
    "MergeV2Checkpoints",
    "ShardedFilename",
    "ShardedFilespec",
    "VarIsInitializedOp",
    "IsVariableInitialized",
    "CountUpTo",
    "InitializeTable",
    "InitializeTableV2",
    "InitializeTableFromTextFileV2",
];

/// Ops whose output depends only on their input's shape, not its values.
pub const SHAPE_OPS: [&str; 7] = [
    "Shape",
    "ShapeN",
    "Size",
    "Rank",
    "VariableShape",
    "ZerosLike",
    "OnesLike",
];

/// TF1 control-flow ops (value and reference forms).
pub const CONTROL_FLOW_OPS: [&str; 9] = [
    "Exit",
    "RefExit",
    "Switch",
    "RefSwitch",
    "Merge",
    "RefMerge",
    "Enter",
    "NextIteration",
    "LoopCond",
];

/// Ops a saver's restore writes a restored value into a variable with.
pub const RESTORE_ASSIGN_OPS: [&str; 2] = ["Assign", "AssignVariableOp"];

/// Ops that pass their input through with its type: a frozen resource's
/// consumers of this kind are retyped to the value (convert_to_constants.py).
pub const PASS_THROUGH_OPS: [&str; 7] = [
    "Enter",
    "Exit",
    "Identity",
    "NextIteration",
    "Switch",
    "_SwitchN",
    "Merge",
];

/// Ops that call functions (control flow v2 and calls).
pub const FUNCTION_CALL_OPS: [&str; 7] = [
    "If",
    "StatelessIf",
    "While",
    "StatelessWhile",
    "Case",
    "PartitionedCall",
    "StatefulPartitionedCall",
];

/// Cross-entropy ops, which read the logits.
pub const XENT_OPS: [&str; 2] = [
    "SoftmaxCrossEntropyWithLogits",
    "SparseSoftmaxCrossEntropyWithLogits",
];

/// Reductions, the last step of a loss or a metric.
pub const REDUCTION_OPS: [&str; 8] = [
    "Mean",
    "Sum",
    "Prod",
    "Max",
    "Min",
    "All",
    "Any",
    "EuclideanNorm",
];

/// Ops whose output dtype is bool whatever their attrs.
pub const BOOL_OPS: [&str; 12] = [
    "Equal",
    "NotEqual",
    "Less",
    "LessEqual",
    "Greater",
    "GreaterEqual",
    "LogicalAnd",
    "LogicalOr",
    "LogicalNot",
    "IsFinite",
    "IsNan",
    "IsInf",
];

/// Resource-variable ops that take the handle as input 0.
pub const RESOURCE_VARIABLE_OPS: [&str; 7] = [
    "AssignVariableOp",
    "AssignAddVariableOp",
    "AssignSubVariableOp",
    "ReadVariableOp",
    "VarIsInitializedOp",
    "VariableShape",
    "DestroyResourceOp",
];

/// How many outputs an op has, for the common ops whose count is fixed by
/// their op definition (TF's op registry); `None` for the rest, whose inputs
/// are then not checked for range.
pub fn output_count(op: &str) -> Option<usize> {
    const NONE: [&str; 7] = [
        "NoOp",
        "Assert",
        "SaveV2",
        "Save",
        "AssignVariableOp",
        "AssignAddVariableOp",
        "AssignSubVariableOp",
    ];
    const ONE: [&str; 48] = [
        "Const",
        "Placeholder",
        "PlaceholderV2",
        "PlaceholderWithDefault",
        "Identity",
        "StopGradient",
        "Variable",
        "VariableV2",
        "VarHandleOp",
        "ReadVariableOp",
        "Assign",
        "MatMul",
        "BatchMatMulV2",
        "BiasAdd",
        "Add",
        "AddV2",
        "Sub",
        "Mul",
        "RealDiv",
        "Neg",
        "Relu",
        "Relu6",
        "Sigmoid",
        "Tanh",
        "Softmax",
        "Conv2D",
        "MaxPool",
        "AvgPool",
        "Reshape",
        "Shape",
        "Cast",
        "Squeeze",
        "ExpandDims",
        "ConcatV2",
        "Pack",
        "Transpose",
        "Mean",
        "Sum",
        "Fill",
        "Enter",
        "RefEnter",
        "Exit",
        "RefExit",
        "NextIteration",
        "RefNextIteration",
        "LoopCond",
        "GatherV2",
        "ResourceGather",
    ];
    const TWO: [&str; 4] = ["Switch", "RefSwitch", "Merge", "RefMerge"];
    // Batch norm and its gradients (nn_ops.cc): y or the three backprops, and
    // the reserve spaces.
    const FIVE: [&str; 5] = [
        "FusedBatchNorm",
        "FusedBatchNormV2",
        "FusedBatchNormGrad",
        "FusedBatchNormGradV2",
        "FusedBatchNormGradV3",
    ];
    if op == "FusedBatchNormV3" {
        return Some(6);
    }
    if FIVE.contains(&op) {
        return Some(5);
    }
    if NONE.contains(&op) {
        Some(0)
    } else if ONE.contains(&op) {
        Some(1)
    } else if TWO.contains(&op) {
        Some(2)
    } else {
        None
    }
}

/// Ops whose input 0 is a reference.
pub const REF_INPUT_OPS: [&str; 8] = [
    "RefSwitch",
    "RefEnter",
    "RefExit",
    "RefIdentity",
    "RefNextIteration",
    "CountUpTo",
    "IsVariableInitialized",
    "DestroyTemporaryVariable",
];

/// The value form of each reference op, the rewrite `fix_ref_ops` makes.
pub const REF_REWRITES: [(&str, &str); 9] = [
    ("RefSwitch", "Switch"),
    ("RefEnter", "Enter"),
    ("RefExit", "Exit"),
    ("RefMerge", "Merge"),
    ("RefIdentity", "Identity"),
    ("RefNextIteration", "NextIteration"),
    ("AssignSub", "Sub"),
    ("AssignAdd", "Add"),
    ("Assign", "Identity"),
];

/// True for a variable op.
pub fn is_variable(op: &str) -> bool {
    VARIABLE_OPS.contains(&op)
}

/// True for a placeholder op.
pub fn is_placeholder(op: &str) -> bool {
    PLACEHOLDER_OPS.contains(&op)
}

/// True for a reference op that has a value form (see [`REF_REWRITES`]).
pub fn has_value_form(op: &str) -> bool {
    REF_REWRITES.iter().any(|(from, _)| *from == op)
}

/// The value form of a reference op.
pub fn value_form(op: &str) -> Option<&'static str> {
    REF_REWRITES
        .iter()
        .find(|(from, _)| *from == op)
        .map(|(_, to)| *to)
}

/// An op that writes into the variable it is given.
pub fn is_assignment(op: &str) -> bool {
    op.starts_with("Assign")
        || (op.starts_with("Scatter") && !matches!(op, "ScatterNd" | "ScatterNdNonAliasingAdd"))
        || op.starts_with("ResourceScatter")
        || apply_ref_count(op).is_some()
}

/// An op whose inputs include a resource handle.
pub fn is_resource_op(op: &str) -> bool {
    op.starts_with("Resource") || RESOURCE_VARIABLE_OPS.contains(&op)
}

/// An op that needs the variable itself and cannot be given its value.
pub fn needs_variable_itself(op: &str) -> bool {
    op.starts_with("Resource")
        || op.starts_with("Assign")
        || matches!(
            op,
            "VarIsInitializedOp"
                | "DestroyResourceOp"
                | "DisableCopyOnRead"
                | "ReadVariableXlaSplitND"
        )
}

/// A queue or dataset op that hands out input values.
pub fn is_pipeline_source(op: &str) -> bool {
    op.starts_with("QueueDequeue")
        || op.starts_with("IteratorGetNext")
        || op.starts_with("ReaderRead")
}

/// The number of leading ref (or resource) inputs of TF's optimizer apply ops
/// (core/ops/training_ops.cc), keyed by the name without `Resource`/`Sparse`.
pub fn apply_ref_count(op: &str) -> Option<usize> {
    let base = op.strip_prefix("Resource").unwrap_or(op);
    let base = base.strip_prefix("Sparse").unwrap_or(base);
    let count = match base {
        "ApplyGradientDescent" | "ApplyProximalGradientDescent" => 1,
        "ApplyAdagrad"
        | "ApplyAdagradV2"
        | "ApplyProximalAdagrad"
        | "ApplyMomentum"
        | "ApplyKerasMomentum"
        | "ApplyAddSign"
        | "ApplyPowerSign" => 2,
        "ApplyAdadelta" | "ApplyAdagradDA" | "ApplyFtrl" | "ApplyFtrlV2" | "ApplyAdam"
        | "ApplyAdaMax" | "ApplyRMSProp" => 3,
        "ApplyCenteredRMSProp" | "ApplyAdamWithAmsgrad" => 4,
        other if other.starts_with("Apply") => 1,
        _ => return None,
    };
    Some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_ops_have_their_ref_inputs() {
        assert_eq!(apply_ref_count("ApplyAdam"), Some(3));
        assert_eq!(apply_ref_count("ResourceSparseApplyMomentum"), Some(2));
        assert_eq!(apply_ref_count("MatMul"), None);
    }

    #[test]
    fn every_placeholder_form_is_an_input() {
        for op in ["Placeholder", "PlaceholderV2", "PlaceholderWithDefault"] {
            assert!(is_placeholder(op), "{op}");
        }
        assert!(!is_placeholder("Const"));
    }

    #[test]
    fn reference_ops_have_value_forms() {
        assert_eq!(value_form("RefSwitch"), Some("Switch"));
        assert_eq!(value_form("Assign"), Some("Identity"));
        assert!(!has_value_form("AssignVariableOp"));
    }
}
