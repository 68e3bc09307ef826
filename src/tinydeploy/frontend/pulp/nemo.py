"""NEMO integer-deployable ONNX: what is NEMO-specific (the rest is generic).

NEMO exports the network input as float32 holding uint8 values (the "ID" stage quantizes
the input to 8 unsigned bits), so the generated API takes ``uint8_t`` unless
``--input-type`` says otherwise. Its requantizations (Mul/Add in float32, Cast to int64,
integer Mul/Div, Cast back, Clip) and residual adds (Mul, Mul, Add, Div, Floor) need no
special code: :mod:`.chains` evaluates them like any other chain.
"""

INPUT_TYPE = "uint8"
