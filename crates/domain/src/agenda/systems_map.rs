//! Systems map (interpretive structural modelling).
