//! Statistics that compare a round's votes with its systems map.
//!
//! When members vote for the ideas they would work on first, the votes tend to
//! go to the outcomes everyone wants rather than to the ideas that would bring
//! them about. These numbers let a partnership see that gap: do the votes
//! follow driving power ([`spearman_rho`], [`top_k_overlap`]), how much of the
//! vote went to the top level of the map, the pure outcomes
//! ([`share_to_top_level`]), and how far the members' choices spread
//! ([`spreadthink`]).
//!
//! All slices are indexed by idea (the round's indices `0..n`); slices that
//! are compared must have the same length, which is a programming error
//! otherwise.

/// 1-based ranks of `values`; equal values share the average of the ranks
/// they span (two values tied for first both get 1.5). With `descending`, the
/// largest value ranks first.
///
/// Values are ordered with `f64::total_cmp`, so the result is defined for
/// every input.
pub fn average_ranks(values: &[f64], descending: bool) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        let o = values[a].total_cmp(&values[b]);
        if descending { o.reverse() } else { o }
    });
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]].total_cmp(&values[order[start]]).is_eq() {
            end += 1;
        }
        // Positions start..end hold ranks start + 1 ..= end.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Spearman's rank correlation: the Pearson correlation of the average ranks,
/// which stays exact with ties (the shortcut 1 − 6Σd²/(n(n² − 1)) does not).
///
/// `None` with fewer than two ideas or when either side ranks every idea the
/// same (a constant has no correlation).
pub fn spearman_rho(a: &[f64], b: &[f64]) -> Option<f64> {
    assert_eq!(a.len(), b.len(), "both sides rank the same ideas");
    let n = a.len();
    if n < 2 {
        return None;
    }
    let (ra, rb) = (average_ranks(a, false), average_ranks(b, false));
    // Average ranks always have mean (n + 1) / 2.
    let mean = (n + 1) as f64 / 2.0;
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        let (dx, dy) = (x - mean, y - mean);
        cov += dx * dy;
        va += dx * dx;
        vb += dy * dy;
    }
    if va == 0.0 || vb == 0.0 {
        return None;
    }
    Some(cov / (va * vb).sqrt())
}

/// The `k` ideas with the most of `values`; a tie at the cut goes to the
/// lower index, i.e. the idea listed first.
fn top_k<T: Ord + Copy>(values: &[T], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    // Stable, so equal values keep index order.
    order.sort_by(|&a, &b| values[b].cmp(&values[a]));
    order.truncate(k);
    order
}

/// How many of the `k` most voted ideas are also among the `k` ideas with the
/// most driving power.
///
/// A tie at the k-th place is broken by idea order (lower index first) on
/// both sides. That keeps the number deterministic and explainable ("the
/// first k in the list, by votes"), at the price of depending on the order for
/// exactly tied ideas; the alternative of letting ties widen the set would
/// make the overlap exceed `k` and stop being comparable between rounds.
/// With `k` at least the number of ideas, every idea is on both sides.
pub fn top_k_overlap(votes: &[u64], driving: &[usize], k: usize) -> usize {
    assert_eq!(votes.len(), driving.len(), "both sides rank the same ideas");
    let by_votes = top_k(votes, k);
    let by_driving = top_k(driving, k);
    by_votes.iter().filter(|i| by_driving.contains(i)).count()
}

/// The share of all votes that went to level-1 ideas, the outcomes at the top
/// of the map (levels as [`SystemsMap::level`](super::systems_map::SystemsMap::level)
/// numbers them, 1 at the top). `None` when nobody voted.
pub fn share_to_top_level(votes: &[u64], levels: &[usize]) -> Option<f64> {
    assert_eq!(
        votes.len(),
        levels.len(),
        "votes and levels cover the same ideas"
    );
    let total: u64 = votes.iter().sum();
    if total == 0 {
        return None;
    }
    let top: u64 = votes
        .iter()
        .zip(levels)
        .filter(|(_, level)| **level == 1)
        .map(|(v, _)| v)
        .sum();
    Some(top as f64 / total as f64)
}

/// Warfield's "spreadthink": the number of distinct ideas that received at
/// least one vote, divided by `k`, the number of votes each member may cast.
///
/// If all members agreed, exactly `k` ideas would get votes and the result
/// would be 1; the further above 1, the more the members' priorities are
/// spread. With `k == 0` nobody could vote and the result is 0.
pub fn spreadthink(votes: &[u64], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let voted = votes.iter().filter(|&&v| v > 0).count();
    voted as f64 / k as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn average_ranks_share_ties() {
        // Descending: 20 and 20 take places 1 and 2 → 1.5 each; 10 → 3; 5 → 4.
        assert_eq!(
            average_ranks(&[10.0, 20.0, 20.0, 5.0], true),
            [3.0, 1.5, 1.5, 4.0]
        );
        // Ascending: 5 → 1; 10 → 2; the two 20s take places 3 and 4 → 3.5.
        assert_eq!(
            average_ranks(&[10.0, 20.0, 20.0, 5.0], false),
            [2.0, 3.5, 3.5, 1.0]
        );
        // All equal: places 1..=3 → 2 each.
        assert_eq!(average_ranks(&[7.0, 7.0, 7.0], true), [2.0, 2.0, 2.0]);
        assert!(average_ranks(&[], true).is_empty());
    }

    #[test]
    fn spearman_with_ties_by_hand() {
        // votes   a = [3, 1, 4, 1, 5] → ascending ranks [3, 1.5, 4, 1.5, 5]
        // driving b = [2, 2, 5, 1, 4] → ascending ranks [2.5, 2.5, 5, 1, 4]
        // Both rank lists have mean 3; deviations
        //   a: [0, −1.5, 1, −1.5, 2]     b: [−0.5, −0.5, 2, −2, 1]
        // Σ da·db = 0 + 0.75 + 2 + 3 + 2 = 7.75
        // Σ da²   = 0 + 2.25 + 1 + 2.25 + 4 = 9.5;  Σ db² = 0.25 + 0.25 + 4 + 4 + 1 = 9.5
        // ρ = 7.75 / √(9.5 · 9.5) = 31/38 ≈ 0.8158
        // (the no-ties shortcut would say 1 − 6·3.5/120 = 0.825).
        let rho = spearman_rho(&[3.0, 1.0, 4.0, 1.0, 5.0], &[2.0, 2.0, 5.0, 1.0, 4.0]).unwrap();
        assert!(close(rho, 31.0 / 38.0), "{rho}");
        // Without ties it agrees with the shortcut: d = [0, 0, 1, −1] → 1 − 6·2/60 = 0.8.
        let rho = spearman_rho(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 4.0, 3.0]).unwrap();
        assert!(close(rho, 0.8), "{rho}");
        // Perfectly reversed.
        assert!(close(
            spearman_rho(&[1.0, 2.0, 3.0], &[9.0, 5.0, 1.0]).unwrap(),
            -1.0
        ));
        assert_eq!(spearman_rho(&[1.0], &[2.0]), None);
        assert_eq!(spearman_rho(&[], &[]), None);
        assert_eq!(
            spearman_rho(&[2.0, 2.0, 2.0], &[1.0, 2.0, 3.0]),
            None,
            "constant votes"
        );
    }

    #[test]
    fn top_k_overlap_breaks_ties_by_idea_order() {
        let votes = [5, 3, 3, 0, 7];
        let driving = [1, 4, 4, 4, 2];
        // By votes: 7 (idea 4), 5 (0), 3 (1), 3 (2), 0 (3).
        // By driving: 4 (1), 4 (2), 4 (3), 2 (4), 1 (0) — ties in idea order.
        // k = 2: {4, 0} vs {1, 2} → 0.
        assert_eq!(top_k_overlap(&votes, &driving, 2), 0);
        // k = 3: {4, 0, 1} (the tie at 3 votes goes to idea 1) vs {1, 2, 3} → {1}.
        assert_eq!(top_k_overlap(&votes, &driving, 3), 1);
        // k = 4: {4, 0, 1, 2} vs {1, 2, 3, 4} → {1, 2, 4}.
        assert_eq!(top_k_overlap(&votes, &driving, 4), 3);
        assert_eq!(top_k_overlap(&votes, &driving, 10), 5);
        assert_eq!(top_k_overlap(&votes, &driving, 0), 0);
    }

    #[test]
    fn share_to_top_level_by_hand() {
        // Level-1 ideas 0 and 2 got 4 + 6 = 10 of 20 votes.
        assert_eq!(share_to_top_level(&[4, 0, 6, 10], &[1, 2, 1, 3]), Some(0.5));
        assert_eq!(share_to_top_level(&[0, 0], &[1, 2]), None);
        assert_eq!(share_to_top_level(&[3, 1], &[2, 2]), Some(0.0));
    }

    #[test]
    fn spreadthink_by_hand() {
        // Three distinct ideas got votes.
        assert_eq!(spreadthink(&[4, 0, 6, 10, 0], 3), 1.0);
        assert_eq!(spreadthink(&[4, 0, 6, 10, 0], 2), 1.5);
        assert_eq!(spreadthink(&[0, 0], 3), 0.0);
        assert_eq!(spreadthink(&[1, 1], 0), 0.0);
    }
}
