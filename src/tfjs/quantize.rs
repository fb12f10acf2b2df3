//! Weight quantization as `tensorflowjs_converter` 4.x does it
//! (tfjs-converter/python/tensorflowjs/quantization.py): float16 by casting,
//! uint8/uint16 by an affine map whose range is nudged so that 0.0 is exact,
//! chosen per weight by fnmatch-style name patterns.

#![deny(clippy::indexing_slicing)]

use serde::Serialize;

use crate::error::{Error, Result};

/// A quantization dtype of the TF.js weights manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Quantization {
    /// IEEE half precision, 2 bytes a value.
    Float16,
    /// Affine, 1 byte a value.
    Uint8,
    /// Affine, 2 bytes a value.
    Uint16,
}

impl Quantization {
    /// The converter's flag for it.
    pub fn flag(self) -> &'static str {
        match self {
            Quantization::Float16 => "quantize_float16",
            Quantization::Uint8 => "quantize_uint8",
            Quantization::Uint16 => "quantize_uint16",
        }
    }
}

/// Which weights a quantization applies to: every one (the bare flag), or
/// those whose names match one of the patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// The bare flag: every weight no pattern claimed.
    All,
    /// Comma-separated wildcards (`*`, `?`, `[abc]`), as `fnmatch` reads them.
    Patterns(Vec<String>),
}

/// The quantization of each weight name, as `map_layers_to_quantization_dtype`
/// decides it: patterns first, then the one bare flag for the rest. Two
/// dtypes matching one name, or two bare flags, are usage errors.
pub fn choose(
    rules: &[(Quantization, Selection)],
    names: &[&str],
) -> Result<Vec<Option<Quantization>>> {
    let fallthrough: Vec<Quantization> = rules
        .iter()
        .filter(|(_, s)| *s == Selection::All)
        .map(|(q, _)| *q)
        .collect();
    if fallthrough.len() > 1 {
        return Err(Error::Usage(format!(
            "only one quantization can apply to every weight: --{} and --{} are both given without patterns",
            fallthrough.first().map_or("", |q| q.flag()),
            fallthrough.get(1).map_or("", |q| q.flag())
        )));
    }
    let mut chosen = Vec::with_capacity(names.len());
    for name in names {
        let mut mine: Option<Quantization> = None;
        for (quantization, selection) in rules {
            let Selection::Patterns(patterns) = selection else {
                continue;
            };
            if !patterns.iter().any(|p| fnmatch(p, name)) {
                continue;
            }
            match mine {
                Some(other) if other != *quantization => {
                    return Err(Error::Usage(format!(
                        "weight '{name}' matches the patterns of both --{} and --{}",
                        other.flag(),
                        quantization.flag()
                    )))
                }
                _ => mine = Some(*quantization),
            }
        }
        chosen.push(mine.or(fallthrough.first().copied()));
    }
    Ok(chosen)
}

/// Python's `fnmatch.fnmatchcase`: `*` any run, `?` one character, `[...]` a
/// set (`[!...]` its complement, `a-z` ranges); everything else literal.
pub fn fnmatch(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    matches_from(&p, &n)
}

fn matches_from(p: &[char], n: &[char]) -> bool {
    match p.split_first() {
        None => n.is_empty(),
        Some(('*', rest)) => {
            (0..=n.len()).any(|skip| n.get(skip..).is_some_and(|tail| matches_from(rest, tail)))
        }
        Some(('?', rest)) => n
            .split_first()
            .is_some_and(|(_, tail)| matches_from(rest, tail)),
        Some(('[', rest)) => match (set_end(rest), n.split_first()) {
            (Some(end), Some((c, tail))) => {
                let (set, after) = rest.split_at(end);
                in_set(set, *c) && matches_from(after.get(1..).unwrap_or_default(), tail)
            }
            // An unclosed `[` is a literal, as in fnmatch.
            (None, Some(('[', tail))) => matches_from(rest, tail),
            _ => false,
        },
        Some((c, rest)) => n
            .split_first()
            .is_some_and(|(d, tail)| c == d && matches_from(rest, tail)),
    }
}

/// Where the `]` closing a set is (a `]` first in the set is a member).
fn set_end(rest: &[char]) -> Option<usize> {
    let start = match rest.first() {
        Some('!') => 1,
        _ => 0,
    };
    let start = if rest.get(start) == Some(&']') {
        start + 1
    } else {
        start
    };
    rest.iter()
        .skip(start)
        .position(|&c| c == ']')
        .map(|i| i + start)
}

fn in_set(set: &[char], c: char) -> bool {
    let (negate, set) = match set.split_first() {
        Some(('!', rest)) => (true, rest),
        _ => (false, set),
    };
    let mut found = false;
    let mut i = 0;
    while let Some(&first) = set.get(i) {
        if let (Some('-'), Some(&last)) = (set.get(i + 1), set.get(i + 2)) {
            found |= first <= c && c <= last;
            i += 3;
        } else {
            found |= first == c;
            i += 1;
        }
    }
    found != negate
}

/// The manifest's `quantization` object: keys in the converter's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuantizationInfo {
    /// `float16`, `uint8` or `uint16`.
    pub dtype: Quantization,
    /// The value of a stored 0 (affine only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The step between stored values (affine only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// Always `float32`: only float32 weights are quantized.
    pub original_dtype: &'static str,
}

/// Quantizes float32 values; returns the stored bytes and the manifest's
/// `quantization` entry, or `None` when a value is not finite (the range
/// would be meaningless, so the weight stays float32).
pub fn quantize(values: &[f32], quantization: Quantization) -> Option<(Vec<u8>, QuantizationInfo)> {
    if values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let info = |min, scale| QuantizationInfo {
        dtype: quantization,
        min,
        scale,
        original_dtype: "float32",
    };
    match quantization {
        Quantization::Float16 => Some((
            values
                .iter()
                .flat_map(|&v| f32_to_f16(v).to_le_bytes())
                .collect(),
            info(None, None),
        )),
        Quantization::Uint8 | Quantization::Uint16 => {
            let quant_max = if quantization == Quantization::Uint8 {
                255.0
            } else {
                65535.0
            };
            let (min, max) = values
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                });
            let (min, max) = if values.is_empty() {
                (0.0, 0.0)
            } else {
                (f64::from(min), f64::from(max))
            };
            let (scale, low, high) = if min == max {
                // quantize_weights: one value is all zeros with scale 1.
                (1.0, min, max)
            } else {
                affine_range(min, max, quant_max)
            };
            let level = |v: f32| {
                if min == max {
                    0.0
                } else {
                    ((f64::from(v).clamp(low, high) - low) / scale).round_ties_even()
                }
            };
            let bytes = if quantization == Quantization::Uint8 {
                values.iter().map(|&v| level(v) as u8).collect()
            } else {
                values
                    .iter()
                    .flat_map(|&v| (level(v) as u16).to_le_bytes())
                    .collect()
            };
            Some((bytes, info(Some(low), Some(scale))))
        }
    }
}

/// `_get_affine_quantization_range`: the scale, and the range nudged so 0.0
/// maps to a whole step when the range covers it (as TF Lite's
/// `NudgeQuantizationRange`).
fn affine_range(min: f64, max: f64, quant_max: f64) -> (f64, f64, f64) {
    let scale = (max - min) / quant_max;
    if min <= 0.0 && 0.0 <= max {
        let zero_point = ((0.0 - min) / scale).round_ties_even();
        let nudged_min = -zero_point * scale;
        (scale, nudged_min, quant_max * scale + nudged_min)
    } else {
        (scale, min, max)
    }
}

/// `numpy.float32.astype(float16)`: round to nearest, ties to even;
/// overflow to infinity, underflow through subnormals to zero.
pub fn f32_to_f16(value: f32) -> u16 {
    let bits = value.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exponent = ((bits >> 23) & 0xff) as i32;
    let mantissa = bits & 0x007f_ffff;
    if exponent == 0xff {
        let nan = if mantissa != 0 { 0x0200 } else { 0 };
        return sign | 0x7c00 | nan;
    }
    let unbiased = exponent - 127;
    if unbiased > 15 {
        return sign | 0x7c00;
    }
    if unbiased >= -14 {
        // Normal half: 10 mantissa bits, round the 13 dropped ones.
        let half = (((unbiased + 15) as u32) << 10) | (mantissa >> 13);
        let rest = mantissa & 0x1fff;
        let round = rest > 0x1000 || (rest == 0x1000 && half & 1 == 1);
        // A carry out of the mantissa correctly bumps the exponent.
        return sign | (half + u32::from(round)) as u16;
    }
    if unbiased < -25 {
        return sign;
    }
    // Subnormal half: the implicit 1 shifted into the mantissa.
    let full = mantissa | 0x0080_0000;
    let shift = (-14 - unbiased + 13) as u32;
    let half = full >> shift;
    let rest = full & ((1u32 << shift) - 1);
    let halfway = 1u32 << (shift - 1);
    let round = rest > halfway || (rest == halfway && half & 1 == 1);
    sign | (half + u32::from(round)) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_as_python() {
        assert!(fnmatch("dense/*", "dense/kernel"));
        assert!(fnmatch("*kernel", "a/b/kernel"));
        assert!(!fnmatch("dense/*", "conv/kernel"));
        assert!(fnmatch("w?", "w1"));
        assert!(fnmatch("w[0-2]", "w1") && !fnmatch("w[!0-2]", "w1"));
        assert!(fnmatch("a[", "a["));
    }

    #[test]
    fn patterns_then_the_bare_flag() {
        let rules = [
            (
                Quantization::Uint8,
                Selection::Patterns(vec!["conv*".into()]),
            ),
            (Quantization::Float16, Selection::All),
        ];
        let chosen = choose(&rules, &["conv1", "dense"]).unwrap();
        assert_eq!(
            chosen,
            [Some(Quantization::Uint8), Some(Quantization::Float16)]
        );
        let twice = [
            (Quantization::Uint8, Selection::Patterns(vec!["c*".into()])),
            (Quantization::Uint16, Selection::Patterns(vec!["*1".into()])),
        ];
        assert!(choose(&twice, &["c1"]).unwrap_err().is_usage());
        let bare = [
            (Quantization::Uint8, Selection::All),
            (Quantization::Uint16, Selection::All),
        ];
        assert!(choose(&bare, &["c1"]).unwrap_err().is_usage());
    }

    #[test]
    fn uint8_keeps_zero_exact() {
        // The converter's own example (write_weights.py `_quantize_entry`).
        let (bytes, info) = quantize(&[0.0, -0.1, 1.2], Quantization::Uint8).unwrap();
        assert_eq!(bytes, [20, 0, 255]);
        let (min, scale) = (info.min.unwrap(), info.scale.unwrap());
        assert!((min - -0.101_960_788_17).abs() < 1e-7, "{min}");
        assert!((scale - 0.005_098_039_408_52).abs() < 1e-7, "{scale}");
        assert_eq!(20.0 * scale + min, 0.0);
    }

    #[test]
    fn float16_rounds_like_numpy() {
        assert_eq!(f32_to_f16(1.0), 0x3c00);
        assert_eq!(f32_to_f16(-2.0), 0xc000);
        assert_eq!(f32_to_f16(65504.0), 0x7bff);
        assert_eq!(f32_to_f16(1e6), 0x7c00);
        assert_eq!(f32_to_f16(5.960_464_5e-8), 0x0001);
        assert_eq!(f32_to_f16(0.1), 0x2e66);
        assert_eq!(f32_to_f16(f32::NAN) & 0x7e00, 0x7e00);
    }
}
