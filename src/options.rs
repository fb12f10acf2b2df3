//! The options, in one table: TF's `freeze_graph` flags (tensorflow/python/tools/
//! freeze_graph.py) and the ones added here. The CLI parses and documents its
//! flags from [`OPTIONS`], the page fills its controls and writes its "same
//! command" from the table's JSON, and both build [`Options`] through
//! [`OptionValues`].

use serde::Serialize;

use crate::error::{Error, Result};
use crate::target::{self, Target};

mod text;

pub use text::{
    parse_assignments, parse_shapes, saved_model_tags, split_list, DEFAULT_SAVED_MODEL_TAGS,
};

/// What an option's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueKind {
    /// `true`/`false`/`1`/`0` in any case; bare on the command line means true.
    Bool,
    /// One word or number.
    Text,
    /// Comma-separated items.
    List,
    /// A file or folder.
    Path,
    /// Comma-separated name wildcards after `=`; bare means every name.
    Patterns,
}

/// The page's control for an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageControl {
    /// The control's element id.
    pub id: &'static str,
    /// Its label, which also names the option in the page's messages.
    pub label: &'static str,
}

/// One option; its JSON (for the page) has `flag`, `aliases`, `inTf`, `kind`,
/// `default`, `help` and `page` (`{id, label}` or null).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionRow {
    /// The flag, in TF's underscore style.
    pub flag: &'static str,
    /// Other spellings of the same flag.
    pub aliases: &'static [&'static str],
    /// TF 2.21's `freeze_graph` has this flag.
    pub in_tf: bool,
    /// What the value is.
    pub kind: ValueKind,
    /// The value's placeholder in the usage text (empty: none shown).
    #[serde(skip)]
    pub value_name: &'static str,
    /// The value when the option is not given, as it would be typed.
    pub default: &'static str,
    /// One line for the usage text.
    pub help: &'static str,
    /// The page's control, if it has one.
    pub page: Option<PageControl>,
    /// Only a TF.js export (`output_format=tfjs_graph_model`) takes it.
    pub tfjs_only: bool,
}

const fn row(
    flag: &'static str,
    in_tf: bool,
    kind: ValueKind,
    value_name: &'static str,
    default: &'static str,
    help: &'static str,
) -> OptionRow {
    OptionRow {
        flag,
        aliases: &[],
        in_tf,
        kind,
        value_name,
        default,
        help,
        page: None,
        tfjs_only: false,
    }
}

const fn on_page(row: OptionRow, id: &'static str, label: &'static str) -> OptionRow {
    OptionRow {
        page: Some(PageControl { id, label }),
        ..row
    }
}

const fn tfjs_only(row: OptionRow) -> OptionRow {
    OptionRow {
        tfjs_only: true,
        ..row
    }
}

use ValueKind::{Bool, List, Path, Patterns, Text};

/// Every option, in the order the usage text and the page's command list them.
pub const OPTIONS: &[OptionRow] = &[
    row("input_graph", true, Path, "PATH", "", "GraphDef, binary (.pb) or text (.pbtxt)"),
    row("input_meta_graph", true, Path, "PATH", "", "MetaGraphDef (.meta); frozen instead of --input_graph"),
    row("input_binary", true, Bool, "BOOL", "false", "hint only: binary and text are both recognised"),
    row("input_saver", true, Path, "PATH", "", "SaverDef, binary or text"),
    row("input_saved_model_dir", true, Path, "DIR", "", "SavedModel folder (saved_model.pb + variables/)"),
    on_page(
        row("saved_model_tags", true, List, "TAGS", DEFAULT_SAVED_MODEL_TAGS, "tag set of the MetaGraphDef to freeze"),
        "tags",
        "SavedModel tags",
    ),
    row("input_checkpoint", true, Path, "PREFIX", "", "checkpoint prefix (model.ckpt-1000); the .index path works too"),
    row("checkpoint_version", true, Text, "N", "2", "1 or 2; accepted for compatibility, reading detects the format"),
    on_page(
        row("output_node_names", true, List, "NAMES", "", "node names to keep (name or name:0); for a SavedModel, default: its serving signature's outputs"),
        "outputs",
        "Output nodes",
    ),
    row("output_graph", true, Path, "PATH", "", "where to write the frozen graph"),
    on_page(row("clear_devices", true, Bool, "BOOL", "true", "blank node devices"), "clear-devices", "Clear devices"),
    on_page(
        row("variable_names_whitelist", true, List, "NAMES", "", "only freeze these variables"),
        "whitelist",
        "Only freeze these variables",
    ),
    on_page(
        OptionRow {
            aliases: &["variable_names_blacklist"],
            ..row("variable_names_denylist", true, List, "NAMES", "", "keep these as variables")
        },
        "denylist",
        "Keep these as variables",
    ),
    on_page(
        row("initializer_nodes", true, List, "NAMES", "", "nodes TF runs after restoring; checked"),
        "initializers",
        "Initializer nodes",
    ),
    row("restore_op_name", true, Text, "NAME", "", "deprecated in TF; checked against the graph when given"),
    row("filename_tensor_name", true, Text, "NAME", "", "deprecated in TF; checked against the graph when given"),
    row("help", true, Bool, "", "false", "this text"),
    on_page(
        row("verify_checksums", false, Bool, "BOOL", "true", "check the crc32c of every frozen tensor"),
        "verify",
        "Verify checksums",
    ),
    on_page(
        row("allow_over_2gb", false, Bool, "BOOL", "false", "write a graph over protobuf's 2 GiB limit (TF cannot load it)"),
        "allow-over-2gb",
        "Allow over 2 GiB",
    ),
    row("inspect", false, Bool, "", "false", "print a JSON report on stdout (suggested outputs, inputs, variables, problems) and freeze nothing"),
    on_page(
        row("fix_ref_ops", false, Bool, "", "false", "rewrite RefSwitch/Assign/AssignSub/AssignAdd into value ops"),
        "fix-ref-ops",
        "Fix reference ops",
    ),
    on_page(
        row("placeholder_to_const", false, List, "LIST", "", "replace placeholders by constants: is_training=false,keep_prob=1.0"),
        "placeholder-to-const",
        "Replace placeholders by constants",
    ),
    on_page(
        row("strip_training_nodes", false, Bool, "", "false", "bypass dropout, drop CheckNumerics"),
        "strip-training",
        "Strip training nodes",
    ),
    on_page(
        row("input_queue_placeholder", false, Text, "NAME", "", "cut an input queue: its dequeue becomes placeholder NAME"),
        "input-placeholder",
        "Cut input queue at placeholder",
    ),
    on_page(
        row("use_moving_averages", false, Bool, "", "false", "freeze ExponentialMovingAverage values where the checkpoint has them"),
        "moving-averages",
        "Use moving averages",
    ),
    on_page(
        row("initialize_missing", false, Bool, "", "false", "freeze variables the checkpoint lacks from their constant initializers (zeros, ones, constants)"),
        "initialize-missing",
        "Initialize missing variables from their initializers",
    ),
    on_page(
        row("input_names", false, List, "NAMES", "", "cut the graph at these tensors (name or name:port): each becomes a placeholder"),
        "input-names",
        "Cut the graph at these inputs",
    ),
    on_page(
        row("input_shapes", false, Text, "SHAPES", "", "set input shapes: \"x=-1,224,224,3;y:1=4\" (-1: unknown dimension)"),
        "input-shapes",
        "Input shapes",
    ),
    on_page(
        row("fix_legacy_shapes", false, Bool, "", "false", "graphs of TF <= 1.0: write placeholder shapes `shape {}` as unknown"),
        "fix-legacy-shapes",
        "Fix legacy placeholder shapes",
    ),
    on_page(
        row("strip_debug_ops", false, Bool, "", "false", "remove CheckNumerics, Print, Assert, StopGradient and Identity chains"),
        "strip-debug-ops",
        "Strip debug ops",
    ),
    on_page(
        row("fold_batch_norms", false, Bool, "", "false", "fold inference batch norms into the Conv2D/DepthwiseConv2dNative/MatMul weights before them"),
        "fold-batch-norms",
        "Fold batch norms",
    ),
    on_page(
        row("fold_constants", false, Bool, "", "false", "evaluate shape, slice, cast and small integer arithmetic nodes whose inputs are all constant"),
        "fold-constants",
        "Fold constants",
    ),
    on_page(
        row("inline_functions", false, Bool, "", "false", "inline PartitionedCall/StatefulPartitionedCall bodies into the graph and drop the functions nothing calls (While/If stay)"),
        "inline-functions",
        "Inline function calls",
    ),
    on_page(
        row("target", false, Text, "TARGET", "tf", "where the graph goes: tf (nothing changes), tflite, tfjs, onnx, opencv or tract: turns on the transforms that consumer needs and lists the nodes it cannot load"),
        "target",
        "Target",
    ),
    row("report", false, Path, "PATH", "", "after freezing, write a JSON report of what was done"),
    on_page(
        row("output_format", false, Text, "FORMAT", "frozen_pb", "frozen_pb (a GraphDef at --output_graph) or tfjs_graph_model (a TF.js model in --output_dir)"),
        "output-format",
        "Output",
    ),
    tfjs_only(row("output_dir", false, Path, "DIR", "", "with --output_format=tfjs_graph_model: a new or empty folder for model.json and the weight files")),
    tfjs_only(on_page(
        row("quantize_float16", false, Patterns, "[=PATTERNS]", "", "TF.js: store float32 weights as float16 (bare: all; =PATTERNS: the weights whose names match)"),
        "quantize-float16",
        "Quantize to float16",
    )),
    tfjs_only(on_page(
        row("quantize_uint8", false, Patterns, "[=PATTERNS]", "", "TF.js: store float32 weights as affine uint8 (bare: all; =PATTERNS: those matching)"),
        "quantize-uint8",
        "Quantize to uint8",
    )),
    tfjs_only(on_page(
        row("quantize_uint16", false, Patterns, "[=PATTERNS]", "", "TF.js: store float32 weights as affine uint16 (bare: all; =PATTERNS: those matching)"),
        "quantize-uint16",
        "Quantize to uint16",
    )),
    tfjs_only(on_page(
        row("weight_shard_size_bytes", false, Text, "N", "4194304", "TF.js: the size of each weight file"),
        "weight-shard-size",
        "Weight file size in bytes",
    )),
];

/// The row of `name`, a flag or one of its aliases.
pub fn find(name: &str) -> Option<&'static OptionRow> {
    OPTIONS
        .iter()
        .find(|row| row.flag == name || row.aliases.contains(&name))
}

/// A boolean as TF's flags are written, `flag` naming it in the message.
pub fn parse_bool(flag: &str, value: &str) -> Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(Error::Usage(format!(
            "--{flag} takes true or false (or 1/0), not '{value}'"
        ))),
    }
}

/// The table as JSON for the page, one object per row (see [`OptionRow`]).
pub fn table_json() -> String {
    // Serialising static strings and booleans cannot fail.
    serde_json::to_string(OPTIONS).unwrap_or_default()
}

/// Each target's preset for the page, `{"tract": {"fix_ref_ops": "true", ...}}`:
/// the options of [`target::preset`] that have a row, so the page can set
/// their controls when a target is chosen.
pub fn presets_json() -> String {
    let presets: serde_json::Map<String, serde_json::Value> = Target::ALL
        .iter()
        .map(|t| {
            let values = target::preset(*t)
                .iter()
                .filter(|(flag, _)| find(flag).is_some())
                .map(|(flag, value)| ((*flag).to_owned(), serde_json::Value::from(*value)))
                .collect();
            (t.name().to_owned(), serde_json::Value::Object(values))
        })
        .collect();
    serde_json::Value::Object(presets).to_string()
}

/// The options given, by flag; the table's defaults stand for the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionValues {
    given: Vec<(&'static str, String)>,
}

impl OptionValues {
    /// Sets option `name` (a flag or an alias); a later value replaces an earlier one.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let row = find(name).ok_or_else(|| Error::Usage(format!("unknown option '{name}'")))?;
        if row.kind == Bool {
            parse_bool(name, value)?;
        }
        // freeze_graph.py refuses other versions before reading anything.
        if row.flag == "checkpoint_version" && value != "1" && value != "2" {
            return Err(Error::Usage(format!(
                "Invalid checkpoint version (must be '1' or '2'): {value}"
            )));
        }
        if row.flag == "target" {
            Target::parse(value)?;
        }
        self.given.retain(|(flag, _)| *flag != row.flag);
        self.given.push((row.flag, value.to_owned()));
        Ok(())
    }

    /// Values from `flag=value` items, as the page sends them.
    pub fn from_pairs(pairs: &[String]) -> Result<Self> {
        let mut values = OptionValues::default();
        for pair in pairs {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            values.set(name, value)?;
        }
        Ok(values)
    }

    /// The value as given, if it was.
    pub fn given(&self, flag: &str) -> Option<&str> {
        self.given
            .iter()
            .find(|(f, _)| *f == flag)
            .map(|(_, v)| v.as_str())
    }

    /// The value, given or default.
    pub fn text(&self, flag: &str) -> &str {
        self.given(flag)
            .or_else(|| find(flag).map(|row| row.default))
            .unwrap_or_default()
    }

    /// The value unless it is empty (a path or name that was not given).
    pub fn non_empty(&self, flag: &str) -> Option<&str> {
        Some(self.text(flag)).filter(|v| !v.is_empty())
    }

    /// A list's items, TF's way (see [`split_list`]).
    pub fn list(&self, flag: &str) -> Vec<String> {
        split_list(self.text(flag))
    }

    /// A boolean, given or default.
    pub fn bool(&self, flag: &str) -> bool {
        parse_bool(flag, self.text(flag)).unwrap_or(false)
    }

    /// A boolean, only if it was given.
    pub fn given_bool(&self, flag: &str) -> Option<bool> {
        self.given(flag).and_then(|v| parse_bool(flag, v).ok())
    }

    /// `--saved_model_tags`, defaulting to `serve`.
    pub fn saved_model_tags(&self) -> Vec<String> {
        saved_model_tags(self.text("saved_model_tags"))
    }

    /// The freeze parameters; `name_of` names an option in messages, as the
    /// shell shows it (a flag or a control's label). `--target`'s preset
    /// fills in the options the user did not give.
    pub fn freeze_options(&self, name_of: impl Fn(&OptionRow) -> String) -> Result<Options> {
        let target = self.target()?;
        let mut options = self.with_preset(target).options(name_of)?;
        options.target = target;
        Ok(options)
    }

    /// The output is a TF.js graph model, not a frozen `.pb`.
    pub fn exports_tfjs(&self) -> bool {
        self.text("output_format") == "tfjs_graph_model"
    }

    /// `--target`; a TF.js export without one is for TF.js (`tfjs`).
    pub fn target(&self) -> Result<Target> {
        match self.given("target") {
            None if self.exports_tfjs() => Ok(Target::Tfjs),
            _ => Target::parse(self.text("target")),
        }
    }

    /// These values with `target`'s preset under them: each option of the
    /// preset that was not given takes the preset's value.
    pub fn with_preset(&self, target: Target) -> OptionValues {
        let mut values = self.clone();
        for (flag, value) in target::preset(target) {
            // A pending option (no row yet) has nothing to set.
            if let Some(row) = find(flag).filter(|row| self.given(row.flag).is_none()) {
                values.given.push((row.flag, (*value).to_owned()));
            }
        }
        values
    }

    fn options(&self, name_of: impl Fn(&OptionRow) -> String) -> Result<Options> {
        let optional = |flag: &str| Some(self.list(flag)).filter(|items| !items.is_empty());
        let owned = |flag: &str| self.non_empty(flag).map(str::to_owned);
        let named = |flag: &str, err: Error| {
            let name = find(flag).map(&name_of).unwrap_or_default();
            Error::Usage(format!("{name}: {err}"))
        };
        let placeholder_to_const = parse_assignments(self.text("placeholder_to_const"))
            .map_err(|err| named("placeholder_to_const", err))?;
        let input_shapes =
            parse_shapes(self.text("input_shapes")).map_err(|err| named("input_shapes", err))?;
        // tensorflowjs_converter strips debug ops (TF.js has no kernels for
        // them), and a legacy `shape {}` would load there as a scalar: a TF.js
        // export does both whatever its target.
        let tfjs = self.exports_tfjs();
        Ok(Options {
            output_node_names: self.list("output_node_names"),
            clear_devices: self.bool("clear_devices"),
            variable_names_whitelist: optional("variable_names_whitelist"),
            variable_names_denylist: optional("variable_names_denylist"),
            initializer_nodes: self.list("initializer_nodes"),
            restore_op_name: owned("restore_op_name"),
            filename_tensor_name: owned("filename_tensor_name"),
            allow_over_2gb: self.bool("allow_over_2gb"),
            fix_ref_ops: self.bool("fix_ref_ops"),
            placeholder_to_const,
            strip_training_nodes: self.bool("strip_training_nodes"),
            input_placeholder: owned("input_queue_placeholder"),
            use_moving_averages: self.bool("use_moving_averages"),
            initialize_missing: self.bool("initialize_missing"),
            input_names: self.list("input_names"),
            input_shapes,
            fix_legacy_shapes: self.bool("fix_legacy_shapes") || tfjs,
            strip_debug_ops: self.bool("strip_debug_ops") || tfjs,
            fold_batch_norms: self.bool("fold_batch_norms"),
            fold_constants: self.bool("fold_constants"),
            inline_functions: self.bool("inline_functions"),
            target: Target::Tf,
        })
    }
}

/// A core message as a shell says it: each option the core names by its TF
/// name in backticks (`` `allow_over_2gb` ``) becomes `name_of(row)` (the CLI's
/// `--allow_over_2gb`, the page's checkbox label). Other backticked words stay.
pub fn phrase(message: &str, name_of: impl Fn(&OptionRow) -> String) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some((before, after)) = rest.split_once('`') {
        out.push_str(before);
        let named = after
            .split_once('`')
            .and_then(|(word, tail)| find(word).map(|row| (name_of(row), tail)));
        match named {
            Some((name, tail)) => {
                out.push_str(&name);
                rest = tail;
            }
            None => {
                out.push('`');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// TF's `freeze_graph` parameters (TF 2.21 defaults in [`Options::default`]).
/// New options are added over time: start from [`Options::default`] or
/// [`Options::outputs`] and set fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Node names to keep, with what they need (`name`, `name:0` or `^name`).
    pub output_node_names: Vec<String>,
    /// Blank every node's device (TF's default: true).
    pub clear_devices: bool,
    /// Only these variables become constants (`None`: all).
    pub variable_names_whitelist: Option<Vec<String>>,
    /// These variables stay variables.
    pub variable_names_denylist: Option<Vec<String>>,
    /// Nodes TF would run after restoring; checked to exist.
    pub initializer_nodes: Vec<String>,
    /// Deprecated in TF; when given, must name a node of the graph.
    pub restore_op_name: Option<String>,
    /// Deprecated in TF; when given, must name a tensor of the graph.
    pub filename_tensor_name: Option<String>,
    /// Write a GraphDef over protobuf's 2 GiB limit instead of refusing.
    pub allow_over_2gb: bool,
    /// Rewrite ops that need a reference (`RefSwitch`, `Assign`, `AssignSub`,
    /// `AssignAdd`) into their value forms, as users do by hand.
    pub fix_ref_ops: bool,
    /// Placeholders to replace by constants (`is_training=false`).
    pub placeholder_to_const: Vec<(String, String)>,
    /// Bypass dropout, drop `CheckNumerics`.
    pub strip_training_nodes: bool,
    /// Cut an input queue here: its dequeue becomes a placeholder of this name.
    pub input_placeholder: Option<String>,
    /// Freeze ExponentialMovingAverage shadow values where the checkpoint has them.
    pub use_moving_averages: bool,
    /// Freeze variables the checkpoint lacks from their constant initializers.
    pub initialize_missing: bool,
    /// Cut the graph at these tensors (`name` or `name:port`): each becomes a placeholder.
    pub input_names: Vec<String>,
    /// Shapes for placeholders or cut tensors (`name[:port]`), -1 for unknown dimensions.
    pub input_shapes: Vec<(String, Vec<i64>)>,
    /// Write the `shape {}` of placeholders in graphs of producer <= 21 as unknown.
    pub fix_legacy_shapes: bool,
    /// Remove `CheckNumerics`, `Print`, `Assert`, `StopGradient` and Identity chains.
    pub strip_debug_ops: bool,
    /// Fold inference batch norms into the weights of the op before them.
    pub fold_batch_norms: bool,
    /// Replace shape, slice, cast and small integer arithmetic nodes whose
    /// inputs are all constant by the Const of their value.
    pub fold_constants: bool,
    /// Inline `PartitionedCall`/`StatefulPartitionedCall` bodies and drop
    /// the functions nothing calls any more.
    pub inline_functions: bool,
    /// Where the graph goes: its preset is already in the other fields; the
    /// freeze lints the frozen graph against the ops it runs.
    pub target: Target,
}

impl Options {
    /// TF's defaults, keeping `outputs` (`"probs,logits"` or one name each).
    pub fn outputs<S: AsRef<str>>(outputs: impl IntoIterator<Item = S>) -> Self {
        Options {
            output_node_names: outputs
                .into_iter()
                .flat_map(|names| split_list(names.as_ref()))
                .collect(),
            ..Options::default()
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            output_node_names: Vec::new(),
            clear_devices: true,
            variable_names_whitelist: None,
            variable_names_denylist: None,
            initializer_nodes: Vec::new(),
            restore_op_name: None,
            filename_tensor_name: None,
            allow_over_2gb: false,
            fix_ref_ops: false,
            placeholder_to_const: Vec::new(),
            strip_training_nodes: false,
            input_placeholder: None,
            use_moving_averages: false,
            initialize_missing: false,
            input_names: Vec::new(),
            input_shapes: Vec::new(),
            fix_legacy_shapes: false,
            strip_debug_ops: false,
            fold_batch_norms: false,
            fold_constants: false,
            inline_functions: false,
            target: Target::Tf,
        }
    }
}

#[cfg(test)]
mod tests;
