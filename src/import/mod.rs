//! Reading what agents bring from their own tools.

pub mod address_list;
