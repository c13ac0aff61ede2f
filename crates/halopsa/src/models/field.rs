//! Custom fields: the values on an object and the definitions behind them.

use super::codec::model;
use crate::id::Id;
use serde_json::Value;

model! {
    /// One custom field on an object (`customfields[]`).
    ///
    /// Halo replaces an object's whole `customfields` array on write: post all of them back.
    pub struct CustomField {
        /// The field definition's id.
        id: Id,
        /// The field's name (`CFxxx`).
        name: String,
        /// The label shown to users.
        label: String,
        /// The field type code.
        r#type: i64,
        /// The value (untyped: text, number, list selection...).
        value: Value,
        /// The value as displayed.
        display: String,
        /// The input type code.
        inputtype: i64,
    }
}

model! {
    /// A custom-field definition (`/FieldInfo`).
    pub struct FieldInfo at "FieldInfo" {
        /// The definition id.
        id: Id,
        /// The field's name (`CFxxx`).
        name: String,
        /// The label shown to users.
        label: String,
        /// The field type code.
        r#type: i64,
        /// The input type code.
        inputtype: i64,
        /// The maximum length of a text value.
        characterlimit: i64,
    }
}
