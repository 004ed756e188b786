"""The playground: the TensorFlow Playground on valuegrad's engine, as a local web app.

* :mod:`valuegrad.playground.validation` -- the settings, their bounds, every input check;
* :mod:`valuegrad.playground.training` -- one run, epoch by epoch, on the compiled engine;
* :mod:`valuegrad.playground.sessions` -- one session per tab, trained by a small pool;
* :mod:`valuegrad.playground.explain` -- the graph of one clicked point, as HTML;
* :mod:`valuegrad.playground.app` -- the Starlette app: page, JSON API, WebSocket stream.

``valuegrad playground`` (:mod:`valuegrad.commands.playground`) serves it with uvicorn.
"""
