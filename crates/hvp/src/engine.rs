//! Compiled programs with their reusable workspaces.

use crate::Result;
use hvp_exec::{Plan, Workspace};
use hvp_ir::Graph;
use hvp_tensor::Float;
use std::sync::Mutex;

/// One derived program compiled for one dtype, with a workspace kept for
/// the next call so repeated calls do not allocate.
pub(crate) struct Compiled<T> {
    plan: Plan,
    workspace: Mutex<Workspace<T>>,
}

impl<T: Float> Compiled<T> {
    pub(crate) fn new(graph: &Graph, check_finite: bool) -> Result<Self> {
        let mut plan = Plan::compile(&graph.clone().with_dtype(T::DTYPE))?;
        plan.set_check_finite(check_finite);
        let workspace = Mutex::new(plan.workspace());
        Ok(Compiled { plan, workspace })
    }

    /// Runs the program, writing each output into its buffer. Concurrent
    /// callers do not wait for each other: a caller that finds the cached
    /// workspace busy runs in a fresh one.
    pub(crate) fn run(&self, inputs: &[&[T]], outputs: &mut [&mut [T]]) -> Result<()> {
        match self.workspace.try_lock() {
            Ok(mut ws) => self.plan.run(&mut ws, inputs, outputs)?,
            Err(_) => {
                let mut ws = self.plan.workspace();
                self.plan.run(&mut ws, inputs, outputs)?
            }
        }
        Ok(())
    }

    /// Bytes of workspace the program computes in.
    pub(crate) fn workspace_bytes(&self) -> usize {
        self.plan.peak_bytes(T::DTYPE)
    }
}
