//! Exact requests of the layer.
