/// A `module.name` a pickle may reference with GLOBAL: the weights-only allowlist (spec §8.1).
///
/// `allowlist` is the complete table of names the reader resolves; every other name is rejected at
/// the GLOBAL opcode, before anything else happens, and nothing is ever imported or called: each
/// case is a token that the reader's REDUCE applies by constructing plain values. `unsupported`
/// lists names torch itself allows but Cairn cannot represent, so the error can say so.
enum PickleGlobal: Equatable, Sendable {
    /// `collections.OrderedDict`: `()` → an empty ordered dict; BUILD sets its attributes.
    case orderedDict
    /// `collections.Counter`: `()` or `(dict,)` → a plain dict of counts.
    case counter
    /// `builtins.set`: `()` or `(list,)` → a list.
    case set
    /// `_codecs.encode`: `(str, 'latin1')` → bytes (protocol 2's encoding of `bytes`).
    case codecsEncode
    /// `torch._utils._rebuild_tensor_v2`: (storage, offset, size, stride, requires_grad, hooks[, metadata]).
    case rebuildTensorV2
    /// `torch._utils._rebuild_tensor_v3`: the v2 arguments, then the dtype token[, metadata].
    case rebuildTensorV3
    /// `torch._utils._rebuild_tensor`: (storage, offset, size, stride).
    case rebuildTensor
    /// `torch._utils._rebuild_parameter`: (tensor, requires_grad, hooks) → the tensor.
    case rebuildParameter
    /// `torch._utils._rebuild_parameter_with_state`: (tensor, requires_grad, hooks, state) → the tensor.
    case rebuildParameterWithState
    /// `torch._tensor._rebuild_from_type_v2`: (rebuild function, type, args, state) → the rebuilt tensor.
    case rebuildFromTypeV2
    /// `torch.Tensor` / `torch.nn.parameter.Parameter`: type tokens for `_rebuild_from_type_v2` only.
    case tensorType
    /// `torch.<X>Storage` (typed; carries the element dtype) — valid only inside a persistent id.
    case typedStorage(TorchDType)
    /// `torch.storage.UntypedStorage` — valid only inside a persistent id (numel counts bytes).
    case untypedStorage
    /// `torch.<dtype>` — valid only as the dtype argument of `_rebuild_tensor_v3`.
    case dtype(TorchDType)
    /// `torch.Size`: `(tuple,)` → a tuple of ints.
    case torchSize
    /// `torch.device`: `(str)` or `(str, int)` → the device string (`cuda:1`).
    case torchDevice

    /// Every resolvable global, by `module.name` (after `__builtin__` → `builtins`).
    static let allowlist: [String: PickleGlobal] = {
        var table: [String: PickleGlobal] = [
            "collections.OrderedDict": .orderedDict,
            "collections.Counter": .counter,
            "builtins.set": .set,
            "_codecs.encode": .codecsEncode,
            "torch._utils._rebuild_tensor_v2": .rebuildTensorV2,
            "torch._utils._rebuild_tensor_v3": .rebuildTensorV3,
            "torch._utils._rebuild_tensor": .rebuildTensor,
            "torch._utils._rebuild_parameter": .rebuildParameter,
            "torch._utils._rebuild_parameter_with_state": .rebuildParameterWithState,
            "torch._tensor._rebuild_from_type_v2": .rebuildFromTypeV2,
            "torch.Tensor": .tensorType,
            "torch.nn.parameter.Parameter": .tensorType,
            "torch.storage.UntypedStorage": .untypedStorage,
            "torch.Size": .torchSize,
            "torch.device": .torchDevice,
        ]
        for d in TorchDType.allCases {
            table["torch." + d.rawValue] = .dtype(d)
            if let s = d.storageClassName { table["torch." + s] = .typedStorage(d) }
        }
        return table
    }()

    /// Names torch's weights-only loader allows that Cairn refuses, with the reason.
    static let unsupported: [String: String] = [
        "builtins.complex": "complex numbers are not supported",
        "builtins.bytearray": "bytearray values are not supported",
        "torch._utils._rebuild_sparse_tensor": "unsupported tensor kind (sparse)",
        "torch._utils._rebuild_sparse_csr_tensor": "unsupported tensor kind (sparse CSR)",
        "torch._utils._rebuild_nested_tensor": "unsupported tensor kind (nested)",
        "torch._utils._rebuild_qtensor": "unsupported tensor kind (quantized)",
        "torch._utils._rebuild_meta_tensor_no_storage": "unsupported tensor kind (meta)",
        "torch._utils._rebuild_wrapper_subclass": "unsupported tensor kind (wrapper subclass)",
        "torch._utils._rebuild_device_tensor_from_numpy": "unsupported tensor kind (numpy-backed)",
        "torch._utils._rebuild_device_tensor_from_cpu_tensor": "unsupported tensor kind (device tensor)",
        "torch.serialization._get_layout": "unsupported tensor kind (non-strided layout)",
        "torch.per_tensor_affine": "unsupported tensor kind (quantized)",
        "torch.per_channel_affine": "unsupported tensor kind (quantized)",
        "torch.per_tensor_symmetric": "unsupported tensor kind (quantized)",
        "torch.per_channel_symmetric": "unsupported tensor kind (quantized)",
        "torch.per_channel_affine_float_qparams": "unsupported tensor kind (quantized)",
    ]

    /// Maps Python 2 module names that protocol 2 writes back to Python 3's (`__builtin__` → `builtins`).
    static func canonicalModule(_ module: String) -> String {
        switch module {
        case "__builtin__": return "builtins"
        case "copy_reg": return "copyreg"
        default: return module
        }
    }
}
