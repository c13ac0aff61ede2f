//! Assets (devices).

use super::codec::model;
use super::date::HaloDate;
use super::field::CustomField;
use crate::id::Id;
use serde_json::Value;

model! {
    /// An asset (`/Asset`, schema `Device`); lists come 50 to a page whatever is asked.
    pub struct Asset at "Asset" {
        /// The asset id.
        id: Id,
        /// The asset tag.
        inventory_number: String,
        /// The key field (often the host name).
        key_field: String,
        /// The customer.
        client_id: Id,
        /// The customer's name.
        client_name: String,
        /// The site.
        site_id: Id,
        /// The site's name.
        site_name: String,
        /// The main user's name.
        username: String,
        /// The users assigned to it.
        users: Vec<Value>,
        /// The asset type.
        assettype_id: Id,
        /// The asset type's name.
        assettype_name: String,
        /// The status.
        status_id: Id,
        /// Whether it is inactive.
        inactive: bool,
        /// The contract covering it.
        contract_id: Id,
        /// The supplier.
        supplier_id: Id,
        /// When the warranty ends.
        warranty_end: HaloDate,
        /// An id in a third-party system (RMM, etc.).
        third_party_id: String,
        /// Asset-type fields (written as `{id, value}`).
        fields: Vec<Value>,
        /// Custom fields (replaced as a whole on write).
        customfields: Vec<CustomField>,
    }
}
