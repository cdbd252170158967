//! UniFFI bindings over klaxon-core (to come: see issue "bindings").
