//! Knowledge-base articles.

use super::codec::model;
use crate::id::Id;

model! {
    /// A knowledge-base article (`/KBArticle`).
    pub struct KbArticle at "KBArticle" {
        /// The article id.
        id: Id,
        /// The title.
        name: String,
        /// The body.
        description: String,
        /// The resolution.
        resolution: String,
        /// The kind code.
        r#type: i64,
        /// Whether it is inactive.
        inactive: bool,
    }
}
