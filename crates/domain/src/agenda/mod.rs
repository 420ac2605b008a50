//! The common agenda: a vision, spheres, joint objectives, ideas and the rounds
//! that prioritise them, the systems map that shows how they influence each
//! other, and the work plans that divide the work.
//!
//! Seed 002 warns of *erroneous priorities*: what a group votes "most
//! important" before it understands how its goals influence each other is often
//! not what drives the rest. A round's votes and its systems map are therefore
//! kept side by side ([`priorities`]).

pub mod priorities;
pub mod records;
pub mod rounds;
pub mod systems_map;
pub mod work_plan;

pub use records::{
    Activity, ActivityStatus, Contribution, Idea, IdeaSource, IdeaStatus, Milestone, Objective,
    ObjectiveStatus, Round, Sphere, Vision,
};
