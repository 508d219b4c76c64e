print("tutorial placeholder")
