import numpy as np
import pandas as pd

rng = np.random.default_rng(42)
a = rng.standard_normal((200, 200))
b = a @ a.T
eig = np.linalg.eigvalsh(b)
print("largest eigenvalue:", round(float(eig[-1]), 3))

df = pd.DataFrame({"city": ["Oslo", "Lima", "Pune", "Oslo", "Lima", "Pune"] * 50, "temp": rng.normal(15, 8, 300)})
print(df.groupby("city")["temp"].agg(["mean", "min", "max"]).round(2))
