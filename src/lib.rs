pub mod engine;
pub mod cli;
