//! The one naming of dtypes in messages and reports: TF's Python names
//! (`tf.float32.name` is `float32`), because those are what users type and
//! what TF's own errors print (python/framework/dtypes.py).

use crate::proto::DataType;

/// A dtype as TF's Python API names it: `float16` for half, `float32_ref` for
/// a reference type; `None` for `DT_INVALID` and numbers TF does not define.
pub fn python_dtype_name(dtype: i32) -> Option<String> {
    use DataType as D;
    let (base, reference) = match dtype.checked_sub(100) {
        Some(base) if base > 0 => (base, true),
        _ => (dtype, false),
    };
    let name = match D::try_from(base).ok()? {
        D::DtInvalid => return None,
        D::DtFloat => "float32".to_owned(),
        D::DtDouble => "float64".to_owned(),
        D::DtHalf => "float16".to_owned(),
        other => other.as_str_name().trim_start_matches("DT_").to_lowercase(),
    };
    Some(if reference {
        format!("{name}_ref")
    } else {
        name
    })
}

/// [`python_dtype_name`] for messages: every number gets a name.
pub fn dtype_text(dtype: i32) -> String {
    python_dtype_name(dtype).unwrap_or_else(|| format!("dtype {dtype}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_dtype_names() {
        assert_eq!(python_dtype_name(1).as_deref(), Some("float32"));
        assert_eq!(python_dtype_name(19).as_deref(), Some("float16"));
        assert_eq!(python_dtype_name(14).as_deref(), Some("bfloat16"));
        assert_eq!(python_dtype_name(7).as_deref(), Some("string"));
        assert_eq!(python_dtype_name(20).as_deref(), Some("resource"));
        assert_eq!(python_dtype_name(101).as_deref(), Some("float32_ref"));
        assert_eq!(python_dtype_name(12).as_deref(), Some("quint8"));
        assert_eq!(python_dtype_name(3).as_deref(), Some("int32"));
        assert_eq!(python_dtype_name(0), None);
        assert_eq!(dtype_text(0), "dtype 0");
        assert_eq!(dtype_text(999), "dtype 999");
    }
}
