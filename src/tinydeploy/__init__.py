"""tinydeploy: trained neural networks -> static, bit-exact C99 for microcontrollers.

    import tinydeploy
    proj = tinydeploy.compile("model.tflite", "out/net")    # -> tinydeploy.Project
    proj.validate().ok; proj.report(); proj.write_html("net.html")
    proj = tinydeploy.load_project("out/net")

See :mod:`tinydeploy.api`.
"""

from tinydeploy.api import Project, compile, load_project
from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.options import CompileOptions
from tinydeploy.version import __version__

__all__ = ["CompileOptions", "Project", "TinyDeployError", "UnsupportedError", "__version__",
           "compile", "load_project"]
