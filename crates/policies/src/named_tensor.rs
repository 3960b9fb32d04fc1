//! Module parameters as named host tensors (`actor.0.weight`, …), for
//! checkpoints and host-side inference.
//!
//! The names are the module paths burn's derive reports while visiting, so
//! they are stable across processes, unlike burn's random `ParamId`s.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

use crate::{PolicyError, Result};

/// A float tensor copied to the host, with its module path.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    /// Dotted module path, e.g. `critic.2.bias`.
    pub name: String,
    /// Shape, outermost first.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<f32>,
}

/// Copies every float parameter of `module` to the host, in visit order.
pub fn export_params<B: Backend, M: Module<B>>(module: &M) -> Vec<NamedTensor> {
    let mut v = Exporter {
        path: Vec::new(),
        out: Vec::new(),
    };
    module.visit(&mut v);
    v.out
}

/// Replaces every float parameter of `module` with the tensor of the same
/// name in `tensors`. Fails, naming the parameter, when one is missing or has
/// another shape; parameter ids are kept, so an optimizer state stays valid.
pub fn import_params<B: Backend, M: Module<B>>(
    module: M,
    tensors: &HashMap<String, NamedTensor>,
    device: &B::Device,
) -> Result<M> {
    let mut m = Importer {
        path: Vec::new(),
        tensors,
        device: device.clone(),
        error: None,
    };
    let module = module.map(&mut m);
    match m.error {
        Some(e) => Err(e),
        None => Ok(module),
    }
}

struct Exporter {
    path: Vec<String>,
    out: Vec<NamedTensor>,
}

impl<B: Backend> ModuleVisitor<B> for Exporter {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let t = param.val();
        let shape = t.dims().to_vec();
        let data = t
            .into_data()
            .convert::<f32>()
            .into_vec::<f32>()
            .expect("converted to f32 just above");
        self.out.push(NamedTensor {
            name: self.path.join("."),
            shape,
            data,
        });
    }
}

struct Importer<'a, B: Backend> {
    path: Vec<String>,
    tensors: &'a HashMap<String, NamedTensor>,
    device: B::Device,
    error: Option<PolicyError>,
}

impl<B: Backend> ModuleMapper<B> for Importer<'_, B> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let name = self.path.join(".");
        let (id, tensor, mapper) = param.consume();
        let want = tensor.dims().to_vec();
        let replaced = match self.tensors.get(&name) {
            None => Err(format!("parameter `{name}` is missing")),
            Some(t) if t.shape != want => Err(format!(
                "parameter `{name}` has shape {:?}, the network expects {want:?}",
                t.shape
            )),
            Some(t) if t.data.len() != want.iter().product::<usize>() => Err(format!(
                "parameter `{name}` has {} values for shape {want:?}",
                t.data.len()
            )),
            Some(t) => Ok(t),
        };
        let tensor = match replaced {
            Ok(t) => {
                let new = Tensor::<B, D>::from_data(
                    TensorData::new(t.data.clone(), t.shape.clone()),
                    &self.device,
                );
                if tensor.is_require_grad() {
                    new.require_grad()
                } else {
                    new
                }
            }
            Err(reason) => {
                self.error.get_or_insert(PolicyError::ParamMismatch(reason));
                tensor
            }
        };
        Param::from_mapped_value(id, tensor, mapper)
    }
}
