//! The layer on the simulator.
