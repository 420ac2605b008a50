//! Scales for charts drawn on the server: a value axis with round ticks, and
//! where a value falls on it.
//!
//! Readings:
//! - Ticks are multiples of 1, 2 or 5 × 10ⁿ, about as many as asked for, and
//!   the axis runs from a tick at or below the smallest value to a tick at or
//!   above the largest.
//! - When every value is positive and the smallest is under half the largest,
//!   the axis starts at zero (a count drawn from zero does not exaggerate its
//!   changes); likewise a negative series ends at zero. Otherwise the axis
//!   hugs the values, so that a rate moving between 85 and 95 stays readable.
//! - A single value (or all values equal) gets an axis around it.

/// A value axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
    /// Tick values from `min` to `max`, both included.
    pub ticks: Vec<f64>,
    /// Decimals that print every tick exactly.
    pub decimals: usize,
}

/// The round step (1, 2 or 5 × 10ⁿ) that cuts `span` into about `count` parts.
pub fn nice_step(span: f64, count: usize) -> f64 {
    let raw = span / count.max(1) as f64;
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// An axis for `values` with about `count` ticks; `None` without a finite value.
pub fn nice_scale(values: &[f64], count: usize) -> Option<Scale> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let mut lo = finite.iter().copied().reduce(f64::min)?;
    let mut hi = finite.iter().copied().reduce(f64::max)?;
    if lo > 0.0 && lo < hi / 2.0 {
        lo = 0.0;
    }
    if hi < 0.0 && hi > lo / 2.0 {
        hi = 0.0;
    }
    if lo == hi {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() / 2.0 };
        lo -= pad;
        hi += pad;
        if values.iter().all(|v| *v >= 0.0) && lo < 0.0 {
            lo = 0.0;
        }
    }
    let step = nice_step(hi - lo, count);
    let min = (lo / step).floor() * step;
    let max = (hi / step).ceil() * step;
    let n = ((max - min) / step).round() as usize;
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let ticks = (0..=n)
        .map(|i| round_to(min + step * i as f64, decimals))
        .collect();
    Some(Scale {
        min,
        max,
        ticks,
        decimals,
    })
}

fn round_to(v: f64, decimals: usize) -> f64 {
    let f = 10f64.powi(decimals as i32);
    let r = (v * f).round() / f;
    // No "-0" on an axis.
    if r == 0.0 { 0.0 } else { r }
}

impl Scale {
    /// Where `v` falls between `low` (the pixel of `min`) and `high` (the pixel
    /// of `max`); works either way round (SVG's y grows downwards).
    pub fn position(&self, v: f64, low: f64, high: f64) -> f64 {
        if self.max == self.min {
            return (low + high) / 2.0;
        }
        low + (v - self.min) / (self.max - self.min) * (high - low)
    }

    /// A tick as text, with the axis' decimals.
    pub fn label(&self, v: f64) -> String {
        format!("{:.*}", self.decimals, v)
    }
}

/// Up to `count` evenly spread indexes of `0..n`, always the first and the
/// last (for the period labels under a chart).
pub fn spread(n: usize, count: usize) -> Vec<usize> {
    if n == 0 || count == 0 {
        return Vec::new();
    }
    if n <= count {
        return (0..n).collect();
    }
    let step = (n - 1).div_ceil(count.saturating_sub(1).max(1));
    let mut out: Vec<usize> = (0..n).step_by(step.max(1)).collect();
    if out.last() != Some(&(n - 1)) {
        // Keep the last label clear of the one before it.
        if out.len() > 1 && n - 1 - out[out.len() - 1] < step / 2 {
            out.pop();
        }
        out.push(n - 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(100.0, 5), 20.0);
        assert_eq!(nice_step(7.0, 5), 2.0);
        assert_eq!(nice_step(0.3, 5), 0.1);
        assert_eq!(nice_step(1000.0, 4), 500.0);
        assert_eq!(nice_step(0.0, 4), 1.0);
    }

    #[test]
    fn counts_start_at_zero_and_rates_hug_their_values() {
        let s = nice_scale(&[12.0, 40.0, 95.0], 5).unwrap();
        assert_eq!(s.min, 0.0);
        assert_eq!(s.max, 100.0);
        assert_eq!(s.ticks, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(s.decimals, 0);
        let r = nice_scale(&[86.5, 91.0, 94.2], 5).unwrap();
        assert!(r.min > 80.0 && r.min <= 86.5 && r.max >= 94.2);
        let neg = nice_scale(&[-3.0, -40.0], 4).unwrap();
        assert_eq!(neg.max, 0.0);
        let small = nice_scale(&[0.12, 0.31], 4).unwrap();
        assert_eq!(small.decimals, 1);
        assert_eq!(small.label(small.ticks[1]), "0.1");
        assert!(nice_scale(&[], 4).is_none());
        assert!(nice_scale(&[f64::NAN], 4).is_none());
    }

    #[test]
    fn one_value_gets_an_axis_around_it() {
        let s = nice_scale(&[50.0], 4).unwrap();
        assert!(s.min <= 50.0 && s.max > 50.0 && s.min >= 0.0);
        let z = nice_scale(&[0.0, 0.0], 4).unwrap();
        assert_eq!(z.min, 0.0);
        assert!(z.max > 0.0);
        assert_eq!(s.position(s.min, 200.0, 10.0), 200.0);
        assert_eq!(s.position(s.max, 200.0, 10.0), 10.0);
    }

    #[test]
    fn labels_spread_over_the_periods_with_both_ends() {
        assert_eq!(spread(3, 6), vec![0, 1, 2]);
        let s = spread(120, 6);
        assert_eq!(s.first(), Some(&0));
        assert_eq!(s.last(), Some(&119));
        assert!(s.len() <= 7, "{s:?}");
        assert!(spread(0, 6).is_empty());
    }
}
