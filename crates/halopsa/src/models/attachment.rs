//! Files on tickets and actions.

use super::codec::model;
use super::date::HaloDate;
use crate::id::Id;

model! {
    /// An attachment's metadata (`/Attachment`). `GET /Attachment/{id}` answers the file's bytes,
    /// not this object; lists and uploads use it.
    pub struct Attachment at "Attachment" {
        /// The attachment id.
        id: Id,
        /// The ticket it is on.
        ticket_id: Id,
        /// The action it is on.
        action_id: Id,
        /// The file name.
        filename: String,
        /// The size in bytes.
        filesize: i64,
        /// A note.
        note: String,
        /// When it was added.
        datecreated: HaloDate,
        /// Whether end users can see it.
        showforusers: bool,
        /// The content, base64-encoded (small uploads).
        data_base64: String,
    }
}
