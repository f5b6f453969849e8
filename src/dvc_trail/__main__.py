from dvc_trail.cli import main

main()
