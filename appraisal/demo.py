def load_demo(stdout):
    stdout.write("appraisal demo: not ready yet\n")
