//! See the module documentation in `super`.
