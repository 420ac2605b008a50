//! Statistics that compare a round's votes with its systems map.
