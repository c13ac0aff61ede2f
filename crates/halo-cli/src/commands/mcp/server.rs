//! The MCP server: lists the tools its flags allow and runs them. A tool's failure (a bad
//! argument, a name that matches nothing, Halo refusing) is a tool error whose text says how
//! to mend the call; only a call of a tool that does not exist is a protocol error.

use super::state::State;
use super::tools::{ToolDef, Toolset};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use std::sync::Arc;

/// The server: shared by every connection (one for stdio; one per session over HTTP).
#[derive(Clone)]
pub struct HaloMcp {
    state: Arc<State>,
    tools: Arc<Vec<ToolDef>>,
    /// The write tools left out (no `--allow-writes`), to say why when one is called.
    held_back: Arc<Vec<String>>,
    instructions: Arc<String>,
}

impl HaloMcp {
    /// The server for `state`, offering the tools of `toolsets` (all when empty) and the write
    /// tools only when `allow_writes`.
    pub fn new(state: State, toolsets: &[Toolset], allow_writes: bool) -> HaloMcp {
        let (tools, held_back): (Vec<ToolDef>, Vec<ToolDef>) = super::tools::all()
            .into_iter()
            .filter(|t| toolsets.is_empty() || toolsets.contains(&t.toolset))
            .partition(|t| allow_writes || !t.writes);
        let instance = state.session.client.settings().instance().to_string();
        let instructions = format!(
            "Tools for the Halo instance {instance} (HaloPSA, HaloITSM, HaloCRM). {} Names \
             work where ids go (clients, agents, teams, statuses...; 'me' is the agent this \
             server acts as). Answers are concise unless response_format=detailed, and capped \
             at about {} tokens: a cut answer says how to get the rest. halo_resources lists \
             every resource and its filters; halo_search_tickets uses the local mirror when \
             `halo sync` has made one.",
            if allow_writes {
                "Writes are allowed: each is checked before it is sent."
            } else {
                "Read-only: no tool here changes anything."
            },
            state.cap_tokens
        );
        HaloMcp {
            state: Arc::new(state),
            tools: Arc::new(tools),
            held_back: Arc::new(held_back.into_iter().map(|t| t.tool.name.into()).collect()),
            instructions: Arc::new(instructions),
        }
    }

    /// The tools offered.
    pub fn tools(&self) -> Vec<Tool> {
        self.tools.iter().map(|t| t.tool.clone()).collect()
    }

    /// Runs the tool `name` on `args`: its answer, or a tool error (text, `is_error`).
    pub async fn call(
        &self,
        name: &str,
        args: rmcp::model::JsonObject,
    ) -> Result<CallToolResult, ErrorData> {
        let Some(tool) = self.tools.iter().find(|t| t.tool.name == name) else {
            if self.held_back.iter().any(|h| h == name) {
                return Ok(failed(format!(
                    "{name} writes to Halo, and this server is read-only: start `halo mcp` \
                     with --allow-writes to offer it"
                )));
            }
            return Err(ErrorData::invalid_params(
                format!("no tool named '{name}': tools/list says which there are"),
                None,
            ));
        };
        let work = tool.call(self.state.clone(), args);
        let done = crate::session::bounded(self.state.timeout, work).await;
        Ok(match done {
            Ok(answer) => {
                let text = answer.finish(self.state.cap_tokens);
                CallToolResult::success(vec![ContentBlock::text(
                    halopsa::redact::scrub(&text).into_owned(),
                )])
            }
            Err(e) => failed(crate::exit::line(&e)),
        })
    }
}

/// A tool error: the call reached the tool, which says what went wrong and how to mend it.
fn failed(text: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(
        halopsa::redact::scrub(&text).into_owned(),
    )])
}

impl ServerHandler for HaloMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("halo", env!("CARGO_PKG_VERSION")))
            .with_instructions(self.instructions.as_str())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        Ok(self.call(&request.name, args).await?.into())
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools
            .iter()
            .find(|t| t.tool.name == name)
            .map(|t| t.tool.clone())
    }
}
