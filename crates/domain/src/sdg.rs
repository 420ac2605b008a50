//! The UN SDG targets and indicators an objective can be tagged with.
