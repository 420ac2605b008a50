//! The division of labour: which organization leads or contributes to the
//! activities towards each objective, and where that leaves gaps or overlaps.

use std::collections::{BTreeMap, BTreeSet};

/// What an organization does towards an objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Contributes,
    Leads,
}

/// Organizations × objectives. An organization leads an objective when it leads
/// an activity linked to it, and contributes when it contributes to one (and
/// leads none).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub cells: BTreeMap<(i64, i64), Part>,
    /// Objectives with no activity led by anyone: a gap.
    pub gaps: Vec<i64>,
    /// Objectives led by more than one organization: an overlap to talk over.
    pub overlaps: Vec<i64>,
}

/// One activity as the matrix needs it.
pub struct ActivityParts {
    pub objective_id: Option<i64>,
    pub lead: Option<i64>,
    pub contributors: Vec<i64>,
}

pub fn matrix(objectives: &[i64], activities: &[ActivityParts]) -> Matrix {
    let mut cells: BTreeMap<(i64, i64), Part> = BTreeMap::new();
    let mut leads: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for a in activities {
        let Some(obj) = a.objective_id else { continue };
        if let Some(org) = a.lead {
            cells.insert((org, obj), Part::Leads);
            leads.entry(obj).or_default().insert(org);
        }
        for org in &a.contributors {
            cells.entry((*org, obj)).or_insert(Part::Contributes);
        }
    }
    let gaps = objectives
        .iter()
        .copied()
        .filter(|o| leads.get(o).is_none_or(|l| l.is_empty()))
        .collect();
    let overlaps = objectives
        .iter()
        .copied()
        .filter(|o| leads.get(o).is_some_and(|l| l.len() > 1))
        .collect();
    Matrix {
        cells,
        gaps,
        overlaps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_wins_over_contributing_and_gaps_and_overlaps_show() {
        let acts = [
            ActivityParts {
                objective_id: Some(1),
                lead: Some(100),
                contributors: vec![200],
            },
            ActivityParts {
                objective_id: Some(1),
                lead: Some(200),
                contributors: vec![],
            },
            ActivityParts {
                objective_id: Some(2),
                lead: None,
                contributors: vec![300],
            },
            ActivityParts {
                objective_id: None,
                lead: Some(400),
                contributors: vec![],
            },
        ];
        let m = matrix(&[1, 2, 3], &acts);
        assert_eq!(m.cells[&(100, 1)], Part::Leads);
        assert_eq!(m.cells[&(200, 1)], Part::Leads);
        assert_eq!(m.cells[&(300, 2)], Part::Contributes);
        assert!(!m.cells.contains_key(&(400, 1)));
        assert_eq!(m.gaps, vec![2, 3]);
        assert_eq!(m.overlaps, vec![1]);
    }
}
