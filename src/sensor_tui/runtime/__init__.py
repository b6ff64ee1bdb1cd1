"""The running monitor assembled from its parts: the pipeline, the simulator, the
network sources, the HTTP endpoint and the notifier, started and stopped together. The
faces (the terminal UI and the headless console) are thin clients of one `Monitor`."""
