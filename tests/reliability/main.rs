//! Reliability on the simulator: lifecycles under a seeded fault storm (`storm`) and many
//! callers at once (`concurrency`). Each test checks what exists at the end and, through the
//! simulator's creation log, that nothing was ever created twice.

mod concurrency;
mod storm;
