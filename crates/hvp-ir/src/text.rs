//! The stable text form of graphs, for golden tests and `--dump-ir`.
//!
//! ```text
//! graph f64 (%0: [3]) {
//!   %1: [3] = mul %0, %0
//!   %2: [] = reduce_sum{axes=[0]} %1
//!   return %2
//! }
//! ```
//!
//! Literals print with Rust's shortest round-trip float format, so
//! `parse(&graph.to_string())` gives back an equal graph.

use crate::{Atom, CmpOp, Eqn, Graph, IrError, Prim, Var};
use hvp_tensor::{DType, Shape};
use smallvec::SmallVec;
use std::fmt;

fn atom(a: Atom) -> String {
    match a {
        Atom::Var(v) => format!("%{}", v.0),
        Atom::Lit(l) => format!("{:?}", l.0),
    }
}

fn list(v: &[usize]) -> String {
    let items: Vec<String> = v.iter().map(|d| d.to_string()).collect();
    format!("[{}]", items.join(","))
}

fn params(p: &Prim) -> String {
    match p {
        Prim::IntPow(n) => format!("{{n={n}}}"),
        Prim::ReduceSum { axes } | Prim::ReduceMax { axes } => format!("{{axes={}}}", list(axes)),
        Prim::Reshape { shape } => format!("{{shape={}}}", list(shape)),
        Prim::Transpose { perm } => format!("{{perm={}}}", list(perm)),
        Prim::BroadcastInDim { shape, dims } => {
            format!("{{shape={},dims={}}}", list(shape), list(dims))
        }
        Prim::Slice {
            start,
            limit,
            stride,
        } => format!(
            "{{start={},limit={},stride={}}}",
            list(start),
            list(limit),
            list(stride)
        ),
        Prim::Pad {
            low,
            high,
            interior,
        } => format!(
            "{{low={},high={},interior={}}}",
            list(low),
            list(high),
            list(interior)
        ),
        Prim::Concat { axis } | Prim::TakeAlongAxis { axis } => format!("{{axis={axis}}}"),
        Prim::ScatterAddAlongAxis { axis, size } => format!("{{axis={axis},size={size}}}"),
        Prim::MatMul {
            transpose_lhs,
            transpose_rhs,
        } => format!("{{transpose_lhs={transpose_lhs},transpose_rhs={transpose_rhs}}}"),
        Prim::Neg
        | Prim::Exp
        | Prim::Log
        | Prim::Log1p
        | Prim::Expm1
        | Prim::Sqrt
        | Prim::Sin
        | Prim::Cos
        | Prim::Tan
        | Prim::Atan
        | Prim::Tanh
        | Prim::Abs
        | Prim::Sign
        | Prim::StopGradient
        | Prim::Add
        | Prim::Sub
        | Prim::Mul
        | Prim::Div
        | Prim::Pow
        | Prim::Max
        | Prim::Min
        | Prim::Compare(_)
        | Prim::Select => String::new(),
    }
}

pub(crate) fn eqn_to_string(g: &Graph, e: &Eqn) -> String {
    let ins: Vec<String> = e.inputs.iter().map(|&a| atom(a)).collect();
    format!(
        "%{}: {} = {}{} {}",
        e.out.0,
        g.vars[e.out.index()],
        e.prim.name(),
        params(&e.prim),
        ins.join(", ")
    )
}

impl fmt::Display for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ins: Vec<String> = self
            .inputs
            .iter()
            .map(|v| format!("%{}: {}", v.0, self.vars[v.index()]))
            .collect();
        writeln!(f, "graph {} ({}) {{", self.dtype, ins.join(", "))?;
        for e in &self.eqns {
            writeln!(f, "  {}", eqn_to_string(self, e))?;
        }
        let outs: Vec<String> = self.outputs.iter().map(|&a| atom(a)).collect();
        writeln!(f, "  return {}", outs.join(", "))?;
        write!(f, "}}")
    }
}

/// Parses the text form produced by `Display for Graph`. The result is not
/// verified; call [`crate::verify`] on it.
///
/// ```
/// let g = hvp_ir::parse("graph f32 (%0: [2,2]) {\n  %1: [2] = reduce_sum{axes=[1]} %0\n  return %1\n}").unwrap();
/// assert_eq!(g.eqns.len(), 1);
/// assert!(hvp_ir::parse("graph f32 (%0: [2]) { return %7 ").is_err());
/// ```
pub fn parse(text: &str) -> Result<Graph, IrError> {
    let mut p = Parser { s: text, pos: 0 };
    p.graph()
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, message: impl Into<String>) -> IrError {
        let before = &self.s[..self.pos];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        IrError::Parse {
            line,
            column,
            message: message.into(),
        }
    }

    fn ws(&mut self) {
        let rest = &self.s[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, tok: &str) -> bool {
        self.ws();
        if self.s[self.pos..].starts_with(tok) {
            self.pos += tok.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &str) -> Result<(), IrError> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.err(format!("expected `{tok}`")))
        }
    }

    fn word(&mut self) -> Result<&'a str, IrError> {
        self.ws();
        let s: &'a str = self.s;
        let rest = &s[self.pos..];
        let len = rest
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' || c == '+')
            })
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(self.err("expected a word or number"));
        }
        self.pos += len;
        Ok(&rest[..len])
    }

    fn usize(&mut self) -> Result<usize, IrError> {
        let w = self.word()?;
        w.parse()
            .map_err(|_| self.err(format!("`{w}` is not a non-negative integer")))
    }

    fn list(&mut self) -> Result<Vec<usize>, IrError> {
        self.expect("[")?;
        let mut out = Vec::new();
        if self.eat("]") {
            return Ok(out);
        }
        loop {
            out.push(self.usize()?);
            if self.eat("]") {
                return Ok(out);
            }
            self.expect(",")?;
        }
    }

    fn var(&mut self) -> Result<Var, IrError> {
        self.expect("%")?;
        let n = self.usize()?;
        u32::try_from(n)
            .map(Var)
            .map_err(|_| self.err("variable index too large"))
    }

    fn atom(&mut self) -> Result<Atom, IrError> {
        self.ws();
        if self.s[self.pos..].starts_with('%') {
            return self.var().map(Atom::Var);
        }
        let w = self.word()?;
        w.parse::<f64>()
            .map(Atom::lit)
            .map_err(|_| self.err(format!("`{w}` is neither a variable nor a number")))
    }

    fn typed_var(&mut self, vars: &mut Vec<Shape>) -> Result<Var, IrError> {
        let v = self.var()?;
        self.expect(":")?;
        let shape = Shape::from(self.list()?);
        if vars.len() <= v.index() {
            vars.resize(v.index() + 1, Shape::scalar());
        }
        vars[v.index()] = shape;
        Ok(v)
    }

    fn params(&mut self) -> Result<Vec<(String, String)>, IrError> {
        let mut out = Vec::new();
        if !self.eat("{") {
            return Ok(out);
        }
        loop {
            let key = self.word()?.to_string();
            self.expect("=")?;
            self.ws();
            let start = self.pos;
            if self.s[self.pos..].starts_with('[') {
                self.list()?;
            } else {
                self.word()?;
            }
            out.push((key, self.s[start..self.pos].to_string()));
            if self.eat("}") {
                return Ok(out);
            }
            self.expect(",")?;
        }
    }

    fn prim(&mut self) -> Result<Prim, IrError> {
        let name = self.word()?.to_string();
        let ps = self.params()?;
        let get = |k: &str| -> Result<&str, IrError> {
            ps.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| self.err(format!("{name} needs parameter `{k}`")))
        };
        let lst = |k: &str| -> Result<Vec<usize>, IrError> {
            let v = get(k)?;
            Parser { s: v, pos: 0 }.list()
        };
        let num = |k: &str| -> Result<usize, IrError> {
            get(k)?
                .parse()
                .map_err(|_| self.err(format!("`{k}` must be an integer")))
        };
        let flag = |k: &str| -> Result<bool, IrError> {
            get(k)?
                .parse()
                .map_err(|_| self.err(format!("`{k}` must be true or false")))
        };
        Ok(match name.as_str() {
            "neg" => Prim::Neg,
            "exp" => Prim::Exp,
            "log" => Prim::Log,
            "log1p" => Prim::Log1p,
            "expm1" => Prim::Expm1,
            "sqrt" => Prim::Sqrt,
            "sin" => Prim::Sin,
            "cos" => Prim::Cos,
            "tan" => Prim::Tan,
            "atan" => Prim::Atan,
            "tanh" => Prim::Tanh,
            "abs" => Prim::Abs,
            "sign" => Prim::Sign,
            "integer_pow" => Prim::IntPow(
                get("n")?
                    .parse()
                    .map_err(|_| self.err("`n` must be an integer"))?,
            ),
            "stop_gradient" => Prim::StopGradient,
            "add" => Prim::Add,
            "sub" => Prim::Sub,
            "mul" => Prim::Mul,
            "div" => Prim::Div,
            "pow" => Prim::Pow,
            "max" => Prim::Max,
            "min" => Prim::Min,
            "select" => Prim::Select,
            "reduce_sum" => Prim::ReduceSum { axes: lst("axes")? },
            "reduce_max" => Prim::ReduceMax { axes: lst("axes")? },
            "reshape" => Prim::Reshape {
                shape: lst("shape")?,
            },
            "transpose" => Prim::Transpose { perm: lst("perm")? },
            "broadcast_in_dim" => Prim::BroadcastInDim {
                shape: lst("shape")?,
                dims: lst("dims")?,
            },
            "slice" => Prim::Slice {
                start: lst("start")?,
                limit: lst("limit")?,
                stride: lst("stride")?,
            },
            "pad" => Prim::Pad {
                low: lst("low")?,
                high: lst("high")?,
                interior: lst("interior")?,
            },
            "concat" => Prim::Concat { axis: num("axis")? },
            "take_along_axis" => Prim::TakeAlongAxis { axis: num("axis")? },
            "scatter_add_along_axis" => Prim::ScatterAddAlongAxis {
                axis: num("axis")?,
                size: num("size")?,
            },
            "matmul" => Prim::MatMul {
                transpose_lhs: flag("transpose_lhs")?,
                transpose_rhs: flag("transpose_rhs")?,
            },
            other => match CmpOp::ALL.iter().find(|op| op.name() == other) {
                Some(&op) => Prim::Compare(op),
                None => return Err(self.err(format!("unknown primitive `{other}`"))),
            },
        })
    }

    fn graph(&mut self) -> Result<Graph, IrError> {
        self.expect("graph")?;
        let dtype = match self.word()? {
            "f32" => DType::F32,
            "f64" => DType::F64,
            other => return Err(self.err(format!("unknown dtype `{other}`"))),
        };
        let mut vars = Vec::new();
        let mut inputs = Vec::new();
        self.expect("(")?;
        if !self.eat(")") {
            loop {
                inputs.push(self.typed_var(&mut vars)?);
                if self.eat(")") {
                    break;
                }
                self.expect(",")?;
            }
        }
        self.expect("{")?;
        let mut eqns = Vec::new();
        loop {
            if self.eat("return") {
                break;
            }
            let out = self.typed_var(&mut vars)?;
            self.expect("=")?;
            let prim = self.prim()?;
            let mut ins: SmallVec<[Atom; 3]> = SmallVec::new();
            ins.push(self.atom()?);
            while self.eat(",") {
                ins.push(self.atom()?);
            }
            eqns.push(Eqn {
                prim,
                inputs: ins,
                out,
            });
        }
        let mut outputs = Vec::new();
        if !self.eat("}") {
            loop {
                outputs.push(self.atom()?);
                if self.eat("}") {
                    break;
                }
                self.expect(",")?;
            }
        }
        self.ws();
        if self.pos != self.s.len() {
            return Err(self.err("unexpected text after the graph"));
        }
        let mut g = Graph {
            dtype,
            vars,
            inputs,
            eqns,
            outputs,
        };
        // Variables referenced but never typed get a slot so `verify` can
        // report them instead of indexing out of range.
        let max_ref = g
            .eqns
            .iter()
            .flat_map(|e| e.inputs.iter())
            .chain(&g.outputs)
            .filter_map(|a| a.as_var())
            .map(|v| v.index() + 1)
            .max()
            .unwrap_or(0);
        if g.vars.len() < max_ref {
            g.vars.resize(max_ref, Shape::scalar());
        }
        Ok(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{verify, GraphBuilder};

    #[test]
    fn print_parse_round_trip() {
        let mut b = GraphBuilder::new(DType::F64);
        let x = b.input(Shape::from([2, 3]));
        let y = b.add(Prim::Sin, &[x.into()]).unwrap();
        let z = b.add(Prim::Mul, &[y, Atom::lit(-2.5e-7)]).unwrap();
        let s = b
            .add(
                Prim::Slice {
                    start: vec![0, 1],
                    limit: vec![2, 3],
                    stride: vec![1, 2],
                },
                &[z],
            )
            .unwrap();
        let m = b
            .add(
                Prim::MatMul {
                    transpose_lhs: true,
                    transpose_rhs: false,
                },
                &[x.into(), z],
            )
            .unwrap();
        let c = b
            .add(Prim::Compare(CmpOp::Ge), &[m, Atom::lit(0.0)])
            .unwrap();
        let g = b.finish(vec![s, c, Atom::lit(f64::NAN)]);
        verify(&g).unwrap();
        let text = g.to_string();
        let back = parse(&text).unwrap();
        verify(&back).unwrap();
        assert_eq!(back.to_string(), text);
    }

    #[test]
    fn parse_errors_have_positions() {
        match parse("graph f64 (%0: [2]) {\n  %1: [2] = frobnicate %0\n  return %1\n}") {
            Err(IrError::Parse { line, .. }) => assert_eq!(line, 2),
            other => panic!("expected a parse error, got {other:?}"),
        }
        assert!(parse("graph f16 () { return }").is_err());
        let unbound = parse("graph f64 (%0: [2]) {\n  return %3\n}").unwrap();
        assert!(verify(&unbound).is_err());
    }
}
