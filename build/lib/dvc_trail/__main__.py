from dvc_trail.main import main

main()
