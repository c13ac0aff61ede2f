//! The `model!` macro behind every model: optional typed fields plus `extra`, encoded so that an
//! object re-encodes exactly as it was read.
//!
//! An explicit `null` is kept in `extra` under its own name (the typed field stays `None`), so it
//! is written back as `null`. A typed field that is set wins over a same-named `extra` entry.

use serde::de::{DeserializeOwned, Error};
use serde_json::Value;

/// The JSON name of a field identifier (`r#type` is `type`).
pub(crate) fn wire_name(ident: &'static str) -> &'static str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// Decodes one field's value, naming the field in the error.
pub(crate) fn field<T: DeserializeOwned, E: Error>(key: &str, value: Value) -> Result<T, E> {
    serde_json::from_value(value).map_err(|e| E::custom(format_args!("field `{key}`: {e}")))
}

/// Defines a model struct (every field `Option<T>`, plus `extra`) with its serde impls and,
/// given `at "Path"`, its [`Model`](super::Model) impl.
macro_rules! model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident $(at $path:literal)? {
            $( $(#[$field_meta:meta])* $field:ident: $ty:ty, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: Option<$ty>, )+
            /// Every other field Halo sent, and explicit `null`s, written back as read.
            pub extra: serde_json::Map<String, serde_json::Value>,
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                use $crate::models::codec::wire_name;
                let set = [$( (wire_name(stringify!($field)), self.$field.is_some()) ),+];
                let mut map = serializer.serialize_map(None)?;
                $(
                    if let Some(value) = &self.$field {
                        map.serialize_entry(wire_name(stringify!($field)), value)?;
                    }
                )+
                for (key, value) in &self.extra {
                    if !set.iter().any(|(name, is_set)| *is_set && name == key) {
                        map.serialize_entry(key, value)?;
                    }
                }
                map.end()
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                use $crate::models::codec::{field, wire_name};
                let object: serde_json::Map<String, serde_json::Value> =
                    serde::Deserialize::deserialize(deserializer)?;
                let mut model = Self::default();
                for (key, value) in object {
                    if !value.is_null() {
                        $(
                            if key == wire_name(stringify!($field)) {
                                model.$field = Some(field(&key, value)?);
                                continue;
                            }
                        )+
                    }
                    model.extra.insert(key, value);
                }
                Ok(model)
            }
        }

        $(
            impl $crate::models::Model for $name {
                const PATH: &'static str = $path;

                fn id(&self) -> Option<String> {
                    self.id
                        .as_ref()
                        .map(ToString::to_string)
                        .filter(|id| !id.is_empty() && id != "0")
                }
            }
        )?
    };
}

pub(crate) use model;
