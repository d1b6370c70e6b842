// Package onnx imports ONNX models into facegate's in-memory model
// (weights.Model), so they can be saved in facegate's format or run by the
// engine.
//
// The protobuf is decoded by hand from the wire format (see proto.go): only
// the fields the importer needs are read, every length is checked against
// the bytes that remain, and counts and tensor sizes are capped, so any byte
// string yields a model or an error, never a panic or a runaway allocation.
//
// # What is converted
//
// The conversion is faithful: the graph keeps its nodes, names and
// structure, and no operators are fused or folded; the engine optimises at
// load time. Specifically:
//
//   - Initializers become weights.Tensor: FLOAT as Float32; DOUBLE, FLOAT16
//     and BFLOAT16 converted to Float32; INT64, INT32 and BOOL (0/1) as Int64. Other
//     element types, external data (data_location EXTERNAL), segments and
//     sparse initializers are errors naming the tensor.
//   - Graph inputs that also have an initializer are constants, not inputs.
//   - Constant nodes (value, value_float(s), value_int(s)) become tensors
//     named after their output; no Constant node reaches the graph.
//   - Input and output shapes keep symbolic dims as Dim.Param ("batch",
//     "height", ...); a dim with neither value nor name gets Param "?". A
//     value with no shape at all has a nil Shape (rank unknown).
//   - Nodes come out in topological order: the file's order when it is valid
//     (ONNX requires it), otherwise a stable sort; cycles and references to
//     undefined values are errors. Anonymous nodes are named "<Op>_<index>"
//     and duplicate node names get a "_<n>" suffix, so errors and the engine
//     can name every node.
//   - Tensors nothing refers to (left over after normalisation, or unused in
//     the file) are dropped.
//   - Operators outside the supported set (SupportedOperators), and any
//     operator from a domain other than ai.onnx, are errors naming the node
//     and the operator: `node "x": unsupported operator DynamicQuantizeLinear`.
//     The default-domain opset must be in MinOpset..MaxOpset.
//
// # Normalisation
//
// ONNX operators changed form across opsets. The importer rewrites each node
// into ONE form, whatever the file's opset, so the engine handles only that
// form. The opset itself is recorded in Meta.Extra["opset"].
//
//   - Conv, MaxPool, AveragePool: kernel_shape (for Conv taken from the
//     weight shape if absent), strides, dilations, pads, group (Conv),
//     ceil_mode (pools) and count_include_pad (AveragePool) are always
//     present, defaults filled in. auto_pad NOTSET or VALID is removed
//     (VALID becomes zero pads); auto_pad SAME_UPPER/SAME_LOWER is kept and
//     pads removed: the engine computes them from the input size. MaxPool's
//     storage_order (which only affects the unsupported Indices output) is
//     removed.
//   - BatchNormalization: epsilon explicit; training-only attributes
//     (momentum, spatial=1, training_mode=0) removed; spatial=0 or training
//     mode are errors.
//   - Only the first output of MaxPool, BatchNormalization and Dropout is
//     kept; it is an error if a training-only extra output is used.
//   - Dropout becomes Identity (inference); a constant training_mode true or
//     a non-constant one is an error.
//   - Upsample (opsets 7..9) becomes Resize, and Resize of opset 10 gets the
//     opset-11 form, both with coordinate_transformation_mode "asymmetric"
//     and nearest_mode "floor" (or "ceil" when every constant scale is below
//     1), reproducing how ONNX Runtime runs the legacy operators.
//   - Resize always has four inputs [X, roi, scales, sizes], absent ones
//     "": roi is kept only for tf_crop_and_resize; constant empty scales or
//     sizes (the opset 11/12 way of saying "not given") become "". Exactly
//     one of scales and sizes remains. mode, coordinate_transformation_mode,
//     nearest_mode, cubic_coeff_a, exclude_outside and extrapolation_value
//     are always present. The opset-18 extras (antialias, axes,
//     keep_aspect_ratio_policy) are accepted only at their defaults, and
//     removed.
//   - Unsqueeze and Squeeze: axes always as the INTS attribute "axes" (from
//     opset 13 they are an input, which must then be constant). A Squeeze
//     without axes squeezes every dimension of size 1, as in ONNX.
//   - Slice always takes inputs [data, starts, ends, axes?, steps?]: the
//     attributes of opset < 10 become int64 tensors.
//   - Clip: bounds always as FLOAT attributes "min" and "max", each absent
//     when unbounded (from opset 11 they are inputs, which must then be
//     constant scalars).
//   - Softmax: axis always explicit. Before opset 13 Softmax flattened the
//     input to 2-D at axis (default 1) and normalised over all dims from
//     axis on; such nodes also carry the INT attribute "coerce_2d" = 1. From
//     opset 13 (default axis -1) it normalises along axis alone, and there
//     is no coerce_2d. The two agree when axis is the last dimension.
//   - Gemm: alpha, beta, transA, transB explicit. Flatten axis, Gather axis,
//     LeakyRelu alpha and Reshape allowzero explicit.
//   - Cast: only to FLOAT or INT64 (error otherwise); saturate removed.
//   - Anything else keeps its attributes as in the file. Transpose without
//     perm reverses the dimensions, as in ONNX.
//
// # Metadata
//
// Meta.Name is the file's base name without extension (ImportFile), the
// known-model name, the graph name, or "model", unless Options.Name is set.
// SourceSHA256 is the sha256 of the bytes; Producer is producer_name and
// producer_version. Extra holds "opset", "ir_version", "graph_name" and the
// file's metadata_props as "onnx.<key>". For the networks listed in
// ../shared/models (identified by sha256) the importer also fills
// ColorOrder, Mean and Std (per channel, for 0..255 input) and Extra "role"
// (detector, liveness, embedder), "input_size" ("WxH", fixed-size inputs
// only) and, for liveness, "crop_scale". Options override all of these.
package onnx
