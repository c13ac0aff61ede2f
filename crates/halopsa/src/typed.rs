//! Typed access: the generic layer with rows decoded into a [`Model`].

use crate::client::Client;
use crate::error::Error;
use crate::models::Model;
use crate::resource::find;
use crate::resource_client::{ListOptions, ResourceClient, WalkReport};
use futures::{Stream, StreamExt};
use serde_json::Value;
use std::marker::PhantomData;

/// A resource whose rows decode into `M`. Get one with [`Client::typed`].
pub struct Typed<M> {
    inner: ResourceClient,
    model: PhantomData<fn() -> M>,
}

impl Client {
    /// Typed operations on `M`'s resource (e.g. `client.typed::<Ticket>()`).
    pub fn typed<M: Model>(&self) -> Result<Typed<M>, Error> {
        let resource = find(M::PATH).ok_or_else(|| {
            Error::InvalidInput(format!("{} is not in the resource table", M::PATH))
        })?;
        Ok(self.resource(resource).typed())
    }
}

impl ResourceClient {
    /// This resource's rows as `M` (e.g. opportunities and projects as [`crate::models::Ticket`]).
    pub fn typed<M: Model>(self) -> Typed<M> {
        Typed {
            inner: self,
            model: PhantomData,
        }
    }
}

/// Decodes one row; a failure names the field that failed (`[3].client_id: ...`).
fn decode<M: Model>(value: Value, at: &str) -> Result<M, Error> {
    serde_path_to_error::deserialize(value).map_err(|e| Error::Decode {
        url: at.to_string(),
        detail: format!("at {}: {}", e.path(), e.inner()),
    })
}

fn encode<M: Model>(objects: Vec<M>) -> Result<Vec<Value>, Error> {
    objects
        .into_iter()
        .map(|o| {
            serde_json::to_value(o).map_err(|e| Error::InvalidInput(format!("cannot encode: {e}")))
        })
        .collect()
}

impl<M: Model> Typed<M> {
    /// The generic client underneath.
    pub fn untyped(&self) -> &ResourceClient {
        &self.inner
    }

    /// Every row matching `query`, decoded, in order (see [`ResourceClient::list`]).
    pub fn list(
        &self,
        query: Vec<(String, String)>,
        options: ListOptions,
    ) -> (impl Stream<Item = Result<M, Error>> + use<M>, WalkReport) {
        let path = self.inner.resource().path;
        let (rows, report) = self.inner.list(query, options);
        let decoded = rows
            .enumerate()
            .map(move |(i, row)| row.and_then(|v| decode(v, &format!("{path} row {i}"))));
        (decoded, report)
    }

    /// One object by id.
    pub async fn get(&self, id: &str, query: &[(String, String)]) -> Result<M, Error> {
        let v = self.inner.get(id, query).await?;
        decode(v, &format!("{}/{id}", self.inner.resource().path))
    }

    /// Creates objects (they must have no id).
    pub async fn create(&self, objects: Vec<M>) -> Result<Vec<M>, Error> {
        let saved = self.inner.create(encode(objects)?).await?;
        saved
            .into_iter()
            .map(|v| decode(v, self.inner.resource().path))
            .collect()
    }

    /// Updates objects (each with its id; `check` reads each back first).
    pub async fn update(&self, objects: Vec<M>, check: bool) -> Result<Vec<M>, Error> {
        let saved = self.inner.update(encode(objects)?, check).await?;
        saved
            .into_iter()
            .map(|v| decode(v, self.inner.resource().path))
            .collect()
    }

    /// Deletes one object.
    pub async fn delete(&self, id: &str, query: &[(String, String)]) -> Result<Value, Error> {
        self.inner.delete(id, query).await
    }
}
