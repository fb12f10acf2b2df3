//! TensorFlow's `freeze_graph` flags: `--flag=value` or `--flag value`,
//! booleans bare or as true/false/1/0.

use tf_freeze::Error;

pub const USAGE: &str = "\
usage: freeze_graph [flags]

Freezes a TensorFlow graph and checkpoint into one GraphDef (.pb), as
TensorFlow's freeze_graph does, without TensorFlow.

  --input_graph PATH          GraphDef, binary (.pb) or text (.pbtxt)
  --input_meta_graph PATH     MetaGraphDef (.meta); frozen instead of --input_graph
  --input_saver PATH          SaverDef, binary or text
  --input_saved_model_dir DIR SavedModel folder (saved_model.pb + variables/)
  --saved_model_tags TAGS     tag set of the MetaGraphDef to freeze (default serve)
  --input_checkpoint PREFIX   checkpoint prefix (model.ckpt-1000); the .index path works too
  --input_binary BOOL         hint only: binary and text are both recognised (default false)
  --output_node_names NAMES   comma-separated node names to keep (name or name:0);
                              for a SavedModel, default: its serving signature's outputs
  --output_graph PATH         where to write the frozen graph
  --clear_devices BOOL        blank node devices (default true)
  --initializer_nodes NAMES   nodes TF runs after restoring; checked
  --variable_names_whitelist NAMES   only freeze these variables
  --variable_names_denylist NAMES    keep these as variables (also --variable_names_blacklist)
  --restore_op_name NAME      deprecated in TF; checked against the graph when given
  --filename_tensor_name NAME deprecated in TF; checked against the graph when given
  --checkpoint_version N      1 or 2 (accepted for compatibility; reading detects the format)
  --verify_checksums BOOL     check the crc32c of every frozen tensor (default true)
  --allow_over_2gb BOOL       write a graph over protobuf's 2 GiB limit (TF cannot load it)

Help with choosing outputs and cleaning up for inference (all off by default):
  --inspect                   print a JSON report on stdout (suggested outputs, inputs,
                              variables, problems) and freeze nothing
  --report PATH               after freezing, write a JSON report of what was done
  --fix_ref_ops               rewrite RefSwitch/Assign/AssignSub/AssignAdd into value ops
  --placeholder_to_const LIST replace placeholders by constants: is_training=false,keep_prob=1.0
  --strip_training_nodes      bypass dropout, drop CheckNumerics
  --input_queue_placeholder NAME   cut an input queue: its dequeue becomes placeholder NAME
  --use_moving_averages       freeze ExponentialMovingAverage values where the checkpoint has them
  --help                      this text

Booleans are true/false/1/0 in any case, or bare (--clear_devices means true).
";

#[derive(Debug, Default)]
pub struct Flags {
    pub input_graph: Option<String>,
    pub input_meta_graph: Option<String>,
    pub input_saver: Option<String>,
    pub input_checkpoint: Option<String>,
    pub input_binary: Option<bool>,
    pub output_node_names: String,
    pub output_graph: Option<String>,
    pub clear_devices: Option<bool>,
    pub initializer_nodes: String,
    pub whitelist: String,
    pub denylist: String,
    pub restore_op_name: Option<String>,
    pub filename_tensor_name: Option<String>,
    pub input_saved_model_dir: Option<String>,
    pub saved_model_tags: String,
    pub verify_checksums: Option<bool>,
    pub allow_over_2gb: Option<bool>,
    pub inspect: bool,
    pub fix_ref_ops: bool,
    pub strip_training_nodes: bool,
    pub use_moving_averages: bool,
    pub placeholder_to_const: String,
    pub input_queue_placeholder: Option<String>,
    pub report: Option<String>,
    pub help: bool,
}

const BOOL_FLAGS: [&str; 9] = [
    "input_binary",
    "clear_devices",
    "verify_checksums",
    "allow_over_2gb",
    "inspect",
    "fix_ref_ops",
    "strip_training_nodes",
    "use_moving_averages",
    "help",
];

fn parse_bool(flag: &str, value: &str) -> Result<bool, Error> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(Error::Usage(format!(
            "--{flag} takes true or false (or 1/0), not '{value}'"
        ))),
    }
}

pub fn parse_flags(args: &[String]) -> Result<Flags, Error> {
    let mut flags = Flags {
        saved_model_tags: "serve".into(),
        ..Flags::default()
    };
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            return Err(Error::Usage(format!(
                "unexpected argument '{arg}' (flags look like --name=value)"
            )));
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (body, None),
        };
        let value = if BOOL_FLAGS.contains(&name) {
            // A bare boolean means true; a following true/false word is its value.
            match inline {
                Some(v) => v,
                None => match args.get(i) {
                    Some(next) if !next.starts_with('-') && parse_bool(name, next).is_ok() => {
                        i += 1;
                        next.clone()
                    }
                    _ => "true".to_owned(),
                },
            }
        } else {
            match inline {
                Some(v) => v,
                None => {
                    let v = args
                        .get(i)
                        .cloned()
                        .ok_or_else(|| Error::Usage(format!("--{name} needs a value")))?;
                    i += 1;
                    v
                }
            }
        };
        set_flag(&mut flags, name, value)?;
    }
    Ok(flags)
}

fn set_flag(flags: &mut Flags, name: &str, value: String) -> Result<(), Error> {
    let some = |v: String| if v.is_empty() { None } else { Some(v) };
    match name {
        "input_graph" => flags.input_graph = some(value),
        "input_meta_graph" => flags.input_meta_graph = some(value),
        "input_saver" => flags.input_saver = some(value),
        "input_checkpoint" => flags.input_checkpoint = some(value),
        "input_binary" => flags.input_binary = Some(parse_bool(name, &value)?),
        "output_node_names" => flags.output_node_names = value,
        "output_graph" => flags.output_graph = some(value),
        "clear_devices" => flags.clear_devices = Some(parse_bool(name, &value)?),
        "initializer_nodes" => flags.initializer_nodes = value,
        "variable_names_whitelist" => flags.whitelist = value,
        "variable_names_denylist" | "variable_names_blacklist" => flags.denylist = value,
        "restore_op_name" => flags.restore_op_name = some(value),
        "filename_tensor_name" => flags.filename_tensor_name = some(value),
        "input_saved_model_dir" => flags.input_saved_model_dir = some(value),
        "saved_model_tags" => flags.saved_model_tags = value,
        "checkpoint_version" => {
            if value != "1" && value != "2" {
                return Err(Error::Usage(format!(
                    "Invalid checkpoint version (must be '1' or '2'): {value}"
                )));
            }
        }
        "verify_checksums" => flags.verify_checksums = Some(parse_bool(name, &value)?),
        "allow_over_2gb" => flags.allow_over_2gb = Some(parse_bool(name, &value)?),
        "inspect" => flags.inspect = parse_bool(name, &value)?,
        "fix_ref_ops" => flags.fix_ref_ops = parse_bool(name, &value)?,
        "strip_training_nodes" => flags.strip_training_nodes = parse_bool(name, &value)?,
        "use_moving_averages" => flags.use_moving_averages = parse_bool(name, &value)?,
        "placeholder_to_const" => flags.placeholder_to_const = value,
        "input_queue_placeholder" => flags.input_queue_placeholder = some(value),
        "report" => flags.report = some(value),
        "help" => flags.help = parse_bool(name, &value)?,
        other => return Err(Error::Usage(format!("unknown flag --{other} (see --help)"))),
    }
    Ok(())
}
