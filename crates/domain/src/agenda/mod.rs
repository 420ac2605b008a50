//! The common agenda: a vision, spheres, joint objectives, ideas and the rounds
//! that prioritise them, the systems map that shows how they influence each
//! other, and the work plans that divide the work.

pub mod priorities;
pub mod systems_map;
