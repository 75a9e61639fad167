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
    /// Staging memory for callers that regroup their data around a run
    /// (batched directions), kept so repeated calls do not allocate and
    /// fault fresh pages in.
    staging: Mutex<Vec<T>>,
}

impl<T: Float> Compiled<T> {
    pub(crate) fn new(graph: &Graph, check_finite: bool) -> Result<Self> {
        let mut plan = Plan::compile(&graph.clone().with_dtype(T::DTYPE))?;
        plan.set_check_finite(check_finite);
        let workspace = Mutex::new(plan.workspace());
        Ok(Compiled {
            plan,
            workspace,
            staging: Mutex::new(Vec::new()),
        })
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

    /// Runs `f` on `len` elements of staging memory (contents unspecified):
    /// the cached buffer, or a fresh one when another caller holds it.
    pub(crate) fn with_staging<R>(&self, len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
        let mut fresh = Vec::new();
        let mut guard = self.staging.try_lock();
        let buf = match guard {
            Ok(ref mut g) => &mut **g,
            Err(_) => &mut fresh,
        };
        if buf.len() < len {
            buf.resize(len, T::zero());
        }
        f(&mut buf[..len])
    }

    /// Bytes of workspace the program computes in.
    pub(crate) fn workspace_bytes(&self) -> usize {
        self.plan.peak_bytes(T::DTYPE)
    }
}
