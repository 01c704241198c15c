// What each autograd node does, in words a lecture can use: a short name for the box, and the local
// derivative its backward applies. torch names a node after its op plus "Backward" and a version digit.

/** The local derivative each node's backward applies to the gradient that arrives, in words. */
const DERIVATIVES = {
  PowBackward0: "d(xᵏ)/dx = k·xᵏ⁻¹: the arriving gradient times k·xᵏ⁻¹",
  PowBackward1: "d(xʸ)/dx = y·xʸ⁻¹ and d(xʸ)/dy = xʸ·ln x",
  MulBackward0: "d(u·v)/du = v, d(u·v)/dv = u: each input gets the gradient times the other input",
  AddBackward0: "d(u + v)/du = d(u + v)/dv = 1: the gradient is passed to both inputs unchanged",
  SubBackward0: "d(u − v)/du = 1, d(u − v)/dv = −1: passed on, negated for the subtracted input",
  SumBackward0: "d(Σᵢ xᵢ)/dxᵢ = 1: the gradient is copied to every element",
  MeanBackward0: "d(mean x)/dxᵢ = 1/n: the gradient is spread evenly over the n elements",
  DivBackward0: "d(u/v)/du = 1/v, d(u/v)/dv = −u/v²",
  NegBackward0: "d(−x)/dx = −1: the gradient is negated",
  AddmmBackward0: "β·bias + x·Wᵀ: d/dx = g·W, d/dWᵀ = xᵀ·g, d/dbias = Σ rows of g",
  MmBackward0: "d(A·B)/dA = g·Bᵀ, d(A·B)/dB = Aᵀ·g",
  TBackward0: "d(Wᵀ)/dW: the gradient is transposed back",
  MseLossBackward0: "d(Σ(ŷ − y)²)/dŷ = 2(ŷ − y) (divided by n for the mean)",
  SigmoidBackward0: "dσ(x)/dx = σ(x)·(1 − σ(x))",
  TanhBackward0: "d tanh(x)/dx = 1 − tanh²(x)",
  ReluBackward0: "d relu(x)/dx = 1 where x > 0, else 0: the gradient passes only where the unit was on",
  SoftmaxBackward0: "dsᵢ/dxⱼ = sᵢ(δᵢⱼ − sⱼ): the Jacobian of softmax times the gradient",
  ViewBackward0: "a reshape: the gradient is reshaped back, values unchanged",
  ReshapeAliasBackward0: "a reshape: the gradient is reshaped back, values unchanged",
  UnsqueezeBackward0: "a reshape: the gradient is squeezed back, values unchanged",
  SqueezeBackward0: "a reshape: the gradient is unsqueezed back, values unchanged",
  ExpandBackward0: "a broadcast: the gradient is summed over the broadcast dimensions",
  AccumulateGrad: "adds the arriving gradient into .grad (zero_grad() resets it)",
  LegendrePolynomial3Backward: "the custom Function's backward: d P3(z)/dz = 1.5·(5z² − 1)",
  // numpy and torch-tensors: no autograd, the lecture's equations written out by hand (docs/protocol.md).
  HandLoss: "no backward of its own: dL/dL = 1 starts the chain rule written out by hand",
  HandGradYPred: "by hand: dL/dŷ = 2(ŷ − y) (divided by n for the mean), one number per data point",
  HandGradSum: "by hand: ∂L/∂w = Σ dL/dŷ · ∂ŷ/∂w, the chain rule summed over the points",
  Parameter: "a weight updated by hand, w −= η·∂L/∂w: there is no .grad to accumulate into",
};

/** The hand-derived engines' nodes: equations, not autograd nodes. */
export function isHandMade(node) {
  return node.name.startsWith("Hand") || node.name === "Parameter";
}

/** Ops whose box would read better with a symbol than a word. */
const SHORT = { Pow: "pow", Mul: "mul", Add: "add", Sub: "sub", Sum: "sum", Div: "div", T: "transpose" };

/** "PowBackward0" → "Pow": the op under torch's naming. */
export function opOf(name) {
  return name.replace(/Backward\d*$/, "");
}

/** A friendly name for a box: "pow", "sum", "MSE loss", "Legendre P3", or the parameter/constant label. */
export function friendlyName(node) {
  if (node.kind !== "op" || isHandMade(node)) return node.label; // a hand-made node's label is its equation
  const op = opOf(node.name);
  if (SHORT[op]) return SHORT[op];
  if (op === "MseLoss") return node.label.startsWith("MSE loss") ? node.label : "MSE loss"; // "MSE loss (sum)"
  if (op === "LegendrePolynomial3") return "Legendre P3";
  if (op === "Addmm") return "addmm";
  return op.toLowerCase();
}

/** The local derivative of a node, in words; a sensible sentence for an op the table does not know. */
export function derivativeWords(node) {
  if (node.kind === "constant") return "a constant input: it needs no gradient, so none is sent to it";
  if (DERIVATIVES[node.name]) return DERIVATIVES[node.name];
  const op = opOf(node.name);
  if (node.name.endsWith("Backward") || !/Backward\d+$/.test(node.name)) {
    return `a custom Function: its own backward(ctx, grad_output) gives d ${op}/d input`;
  }
  return `multiplies the arriving gradient by d ${op.toLowerCase()}/d input (the chain rule) for each input`;
}
