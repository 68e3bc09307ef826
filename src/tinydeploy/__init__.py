"""tinydeploy: trained int8 networks -> static, bit-exact C99 for microcontrollers."""

__version__ = "0.1.0"
